import { getDb, getPool, withTransaction } from "../db/client.ts";
import { getConfig } from "../config.ts";
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

/** Hosted domains, all of them or those with the given ids. */
export async function listDomains(input: { ids?: number[] } = {}) {
  return getDb().domain.findMany({
    where: input.ids ? { id: { in: input.ids } } : undefined,
    orderBy: { name: "asc" },
    select: { id: true, name: true, createdAt: true, mtaStsMode: true, _count: { select: { users: true, aliases: true } } },
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

// MTA-STS (RFC 8461): the policy is served at https://mta-sts.DOMAIN/.well-known/mta-sts.txt and
// announced by the _mta-sts TXT record, whose id changes whenever the policy does (§3.1).

export type MtaStsMode = "testing" | "enforce";
const MTA_STS_MAX_AGE = 7 * 24 * 3600;

function newPolicyId(now = new Date()): string {
  return now.toISOString().replace(/\D/g, "").slice(0, 14);
}

/** Turns the domain's MTA-STS policy on (testing or enforce) or off (null). */
export async function setMtaStsPolicy(input: { domain: string; mode: MtaStsMode | null }) {
  const d = await getDomainOrThrow({ name: input.domain });
  if (input.mode !== null && input.mode !== "testing" && input.mode !== "enforce") {
    throw new AppError("INVALID", "MTA-STS mode is testing, enforce or off");
  }
  await getPool().query("UPDATE domains SET mta_sts_mode = $2, mta_sts_id = $3 WHERE id = $1", [
    d.id,
    input.mode,
    input.mode ? newPolicyId() : null,
  ]);
}

export async function getMtaStsPolicy(input: { domain: string }): Promise<{ mode: MtaStsMode; id: string; text: string } | null> {
  const r = await getPool().query<{ mta_sts_mode: MtaStsMode | null; mta_sts_id: string | null }>(
    "SELECT mta_sts_mode, mta_sts_id FROM domains WHERE name = $1",
    [input.domain.toLowerCase().replace(/\.$/, "")],
  );
  const row = r.rows[0];
  if (!row?.mta_sts_mode || !row.mta_sts_id) return null;
  const host = getConfig().mailHostname.replace(/\.$/, "");
  // §3.2: CRLF-separated key: value lines.
  const text = [`version: STSv1`, `mode: ${row.mta_sts_mode}`, `mx: ${host}`, `max_age: ${MTA_STS_MAX_AGE}`, ""].join("\r\n");
  return { mode: row.mta_sts_mode, id: row.mta_sts_id, text };
}
