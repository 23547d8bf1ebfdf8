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

/** Users of one domain (by name), of the domains with the given ids, or all of them. */
export async function listUsers(input: { domain?: string; domainIds?: number[] } = {}) {
  return getDb().user.findMany({
    where: {
      ...(input.domain ? { domain: { name: input.domain.toLowerCase() } } : {}),
      ...(input.domainIds ? { domainId: { in: input.domainIds } } : {}),
    },
    orderBy: { email: "asc" },
    select: {
      id: true,
      email: true,
      role: true,
      displayName: true,
      disabled: true,
      quotaBytes: true,
      usedBytes: true,
      createdAt: true,
      domain: { select: { name: true } },
      adminOf: { select: { domain: { select: { name: true } } } },
    },
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

async function assertNotLastAdmin(userId: number, what: string): Promise<void> {
  const r = await getPool().query<{ n: number }>(
    "SELECT count(*)::int AS n FROM users WHERE role = 'ADMIN' AND NOT disabled AND id <> $1",
    [userId],
  );
  if (r.rows[0].n === 0) throw new AppError("CONFLICT", `cannot ${what} the last administrator`);
}

/** Disables (no sign-in on any protocol, no mail delivered; sessions end) or enables a user. */
export async function setUserDisabled(input: { email: string; disabled: boolean }) {
  const u = await getUserOrThrow(input);
  if (input.disabled && u.role === "ADMIN") await assertNotLastAdmin(u.id, "disable");
  await withTransaction(async (tx) => {
    await tx.query("UPDATE users SET disabled = $2, updated_at = now() WHERE id = $1", [u.id, input.disabled]);
    if (input.disabled) await tx.query("UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", [u.id]);
  });
}

export const MAX_QUOTA_BYTES = 2 ** 50;

/** Sets the mailbox quota; usage above it refuses new mail (OVER_QUOTA) but keeps what is there. */
export async function setUserQuota(input: { email: string; quotaBytes: number }) {
  if (!Number.isSafeInteger(input.quotaBytes) || input.quotaBytes <= 0 || input.quotaBytes > MAX_QUOTA_BYTES) {
    throw new AppError("INVALID", "quota must be a positive number of bytes");
  }
  const u = await getUserOrThrow(input);
  await getDb().user.update({ where: { id: u.id }, data: { quotaBytes: BigInt(input.quotaBytes) } });
}

/** Changes a user's role. A domain admin manages their own domain (and any granted with grantDomainAdmin). */
export async function setUserRole(input: { email: string; role: Role }) {
  if (!["ADMIN", "DOMAIN_ADMIN", "USER"].includes(input.role)) throw new AppError("INVALID", `unknown role ${input.role}`);
  const u = await getUserOrThrow(input);
  if (u.role === input.role) return;
  if (u.role === "ADMIN") await assertNotLastAdmin(u.id, "demote");
  await withTransaction(async (tx) => {
    await tx.query(`UPDATE users SET role = $2, updated_at = now() WHERE id = $1`, [u.id, input.role]);
    if (input.role !== "DOMAIN_ADMIN") await tx.query("DELETE FROM domain_admins WHERE user_id = $1", [u.id]);
  });
}

/** Lets a domain admin manage `domain` too (besides their own); makes the user a domain admin if needed. */
export async function grantDomainAdmin(input: { email: string; domain: string }) {
  const u = await getUserOrThrow(input);
  if (u.role === "ADMIN") throw new AppError("CONFLICT", `${u.email} is a platform administrator and manages every domain`);
  const d = await getDb().domain.findUnique({ where: { name: input.domain.trim().toLowerCase().replace(/\.$/, "") }, select: { id: true } });
  if (!d) throw new AppError("NOT_FOUND", `no domain ${input.domain}`);
  await withTransaction(async (tx) => {
    await tx.query("UPDATE users SET role = 'DOMAIN_ADMIN', updated_at = now() WHERE id = $1", [u.id]);
    if (d.id !== u.domainId) {
      await tx.query("INSERT INTO domain_admins (user_id, domain_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", [u.id, d.id]);
    }
  });
}

/** Takes a granted domain away from a domain admin (their own domain stays theirs while they are one). */
export async function revokeDomainAdmin(input: { email: string; domain: string }) {
  const u = await getUserOrThrow(input);
  const r = await getPool().query(
    "DELETE FROM domain_admins WHERE user_id = $1 AND domain_id = (SELECT id FROM domains WHERE name = $2)",
    [u.id, input.domain.trim().toLowerCase().replace(/\.$/, "")],
  );
  if (!r.rowCount) throw new AppError("NOT_FOUND", `${u.email} was not granted ${input.domain}`);
}

/** The domains a user administers: none for a user, their own plus granted ones for a domain admin. */
export async function getManagedDomains(input: { userId: number }): Promise<{ id: number; name: string }[]> {
  const r = await getPool().query<{ id: number; name: string }>(
    `SELECT d.id, d.name FROM users u JOIN domains d
       ON d.id = u.domain_id OR d.id IN (SELECT domain_id FROM domain_admins WHERE user_id = u.id)
     WHERE u.id = $1 AND u.role = 'DOMAIN_ADMIN' AND NOT u.disabled ORDER BY d.name`,
    [input.userId],
  );
  return r.rows;
}
