import { getDb, getPool, withTransaction } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../auth/password.ts";
import { createDefaultMailboxes } from "../mail/mailboxes.ts";
import { parseAddress } from "./addresses.ts";

export type Role = "ADMIN" | "DOMAIN_ADMIN" | "USER";

function checkPassword(password: string) {
  if (password.length < MIN_PASSWORD_LENGTH) throw new AppError("INVALID", `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new AppError("INVALID", "password is too long");
}

/** Creates a user of a hosted domain with the default mailboxes, in one transaction. */
export async function addUser(input: { email: string; password: string; role?: Role; displayName?: string; quotaBytes?: number }) {
  const { address, domain } = parseAddress(input.email);
  checkPassword(input.password);
  const passwordHash = await hashPassword(input.password);
  const id = await withTransaction(async (tx) => {
    const d = await tx.query<{ id: number }>("SELECT id FROM domains WHERE name = $1", [domain]);
    if (d.rowCount === 0) throw new AppError("NOT_FOUND", `domain ${domain} is not hosted here; add it first`);
    const clash = await tx.query("SELECT 1 FROM users WHERE email = $1 UNION ALL SELECT 1 FROM aliases WHERE address = $1", [address]);
    if (clash.rowCount) throw new AppError("ALREADY_EXISTS", `${address} already exists`);
    const r = await tx.query<{ id: number }>(
      `INSERT INTO users (email, domain_id, password_hash, role, display_name, quota_bytes)
       VALUES ($1, $2, $3, $4, $5, coalesce($6, 10737418240)) RETURNING id`,
      [address, d.rows[0].id, passwordHash, input.role ?? "USER", input.displayName ?? "", input.quotaBytes ?? null],
    );
    await createDefaultMailboxes(tx, r.rows[0].id);
    return r.rows[0].id;
  });
  return { id, email: address, role: input.role ?? "USER" };
}

export async function listUsers(input: { domain?: string } = {}) {
  return getDb().user.findMany({
    where: input.domain ? { domain: { name: input.domain.toLowerCase() } } : undefined,
    orderBy: { email: "asc" },
    select: { id: true, email: true, role: true, displayName: true, disabled: true, quotaBytes: true, usedBytes: true, createdAt: true },
  });
}

export async function getUserOrThrow(input: { email: string }) {
  const email = input.email.trim().toLowerCase();
  const u = await getDb().user.findUnique({
    where: { email },
    select: { id: true, email: true, role: true, disabled: true, domainId: true, passwordHash: true, mailPasswordAllowed: true },
  });
  if (!u) throw new AppError("NOT_FOUND", `no user ${email}`);
  return u;
}

export async function setUserPassword(input: { email: string; password: string }) {
  checkPassword(input.password);
  const u = await getUserOrThrow(input);
  await getDb().user.update({ where: { id: u.id }, data: { passwordHash: await hashPassword(input.password) } });
  // A new password ends every signed-in session.
  await getDb().session.updateMany({ where: { userId: u.id, revokedAt: null }, data: { revokedAt: new Date() } });
}

export async function removeUser(input: { email: string }) {
  const u = await getUserOrThrow(input);
  await withTransaction(async (tx) => {
    await tx.query("DELETE FROM users WHERE id = $1", [u.id]);
    // Aliases left without any target would silently drop mail: remove them too.
    await tx.query("DELETE FROM aliases a WHERE NOT EXISTS (SELECT 1 FROM alias_targets t WHERE t.alias_id = a.id)");
  });
}

export async function countAdmins(): Promise<number> {
  const r = await getPool().query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE role = 'ADMIN'");
  return r.rows[0].n;
}
