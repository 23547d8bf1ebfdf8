import { getDb, withTransaction } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { normalizeDomain } from "./addresses.ts";
import { createDkimKey } from "./dkim.ts";

export async function addDomain(input: { name: string }) {
  const name = normalizeDomain(input.name);
  const db = getDb();
  const existing = await db.domain.findUnique({ where: { name }, select: { id: true } });
  if (existing) throw new AppError("ALREADY_EXISTS", `domain ${name} already exists`);
  return withTransaction(async (tx) => {
    const r = await tx.query<{ id: number; name: string; created_at: Date }>(
      "INSERT INTO domains (name) VALUES ($1) RETURNING id, name, created_at",
      [name],
    );
    const { selector } = await createDkimKey(tx, r.rows[0].id);
    return { id: r.rows[0].id, name: r.rows[0].name, createdAt: r.rows[0].created_at, dkimSelector: selector };
  }).catch((err) => {
    if ((err as { code?: string }).code === "23505") throw new AppError("ALREADY_EXISTS", `domain ${name} already exists`);
    throw err;
  });
}

export async function listDomains() {
  return getDb().domain.findMany({
    orderBy: { name: "asc" },
    select: { id: true, name: true, createdAt: true, _count: { select: { users: true, aliases: true } } },
  });
}

export async function getDomainOrThrow(input: { name: string }) {
  const name = normalizeDomain(input.name);
  const d = await getDb().domain.findUnique({ where: { name }, select: { id: true, name: true } });
  if (!d) throw new AppError("NOT_FOUND", `no domain ${name}`);
  return d;
}

export async function removeDomain(input: { name: string }) {
  const d = await getDomainOrThrow(input);
  const users = await getDb().user.count({ where: { domainId: d.id } });
  if (users > 0) throw new AppError("CONFLICT", `domain ${d.name} still has ${users} user(s); remove them first`);
  await getDb().domain.delete({ where: { id: d.id } });
}
