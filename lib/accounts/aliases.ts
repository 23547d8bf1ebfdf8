import { getDb, getPool, withTransaction } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { normalizeDomain, parseAddress } from "./addresses.ts";

// Aliases deliver one address to several users; `@domain` is the domain's catch-all.

export function parseAliasAddress(input: string): { address: string; domain: string } {
  const a = input.trim().toLowerCase();
  if (a.startsWith("@") || a.startsWith("*@")) {
    const domain = normalizeDomain(a.slice(a.indexOf("@") + 1));
    return { address: `@${domain}`, domain };
  }
  const p = parseAddress(a);
  return { address: p.address, domain: p.domain };
}

export async function addAlias(input: { address: string; to: string[] }) {
  const { address, domain } = parseAliasAddress(input.address);
  const targets = [...new Set(input.to.map((t) => parseAddress(t).address))];
  if (targets.length === 0) throw new AppError("INVALID", "an alias needs at least one target user");
  return withTransaction(async (tx) => {
    const d = await tx.query<{ id: number }>("SELECT id FROM domains WHERE name = $1", [domain]);
    if (d.rowCount === 0) throw new AppError("NOT_FOUND", `domain ${domain} is not hosted here`);
    const clash = await tx.query("SELECT 1 FROM users WHERE email = $1 UNION ALL SELECT 1 FROM aliases WHERE address = $1", [address]);
    if (clash.rowCount) throw new AppError("ALREADY_EXISTS", `${address} already exists`);
    const users = await tx.query<{ id: number; email: string }>("SELECT id, email FROM users WHERE email = ANY($1::text[])", [targets]);
    const missing = targets.filter((t) => !users.rows.some((u) => u.email === t));
    if (missing.length) throw new AppError("NOT_FOUND", `no such user: ${missing.join(", ")} (aliases point at local users)`);
    const a = await tx.query<{ id: number }>("INSERT INTO aliases (address, domain_id) VALUES ($1, $2) RETURNING id", [address, d.rows[0].id]);
    for (const u of users.rows) await tx.query("INSERT INTO alias_targets (alias_id, user_id) VALUES ($1, $2)", [a.rows[0].id, u.id]);
    return { id: a.rows[0].id, address, targets };
  });
}

/** Aliases of one domain (by name), of the domains with the given ids, or all of them. */
export async function listAliases(input: { domain?: string; domainIds?: number[] } = {}) {
  const rows = await getDb().alias.findMany({
    where: {
      ...(input.domain ? { domain: { name: input.domain.toLowerCase() } } : {}),
      ...(input.domainIds ? { domainId: { in: input.domainIds } } : {}),
    },
    orderBy: { address: "asc" },
    select: { id: true, address: true, targets: { select: { user: { select: { email: true } } } } },
  });
  return rows.map((r) => ({ id: r.id, address: r.address, targets: r.targets.map((t) => t.user.email).sort() }));
}

export async function removeAlias(input: { address: string }) {
  const { address } = parseAliasAddress(input.address);
  const r = await getPool().query("DELETE FROM aliases WHERE address = $1", [address]);
  if (r.rowCount === 0) throw new AppError("NOT_FOUND", `no alias ${address}`);
}
