import { getPool } from "../db/client.ts";
import { parseAddress } from "./addresses.ts";

// Who receives mail sent to an address: a user, an alias's users, or the domain's catch-all.
// `not-local` means Pigeon does not host the domain (relaying there is refused on port 25).

export type RecipientResolution =
  | { kind: "local"; address: string; userIds: number[] }
  | { kind: "unknown-user"; address: string }
  | { kind: "not-local"; address: string }
  | { kind: "invalid"; address: string };

export async function resolveRecipient(input: string): Promise<RecipientResolution> {
  let parsed: ReturnType<typeof parseAddress>;
  try {
    parsed = parseAddress(input);
  } catch {
    return { kind: "invalid", address: input };
  }
  const { address, domain, local } = parsed;
  const pool = getPool();
  const dom = await pool.query<{ id: number }>("SELECT id FROM domains WHERE name = $1", [domain]);
  if (dom.rowCount === 0) return { kind: "not-local", address };
  // Sub-addressing: alice+tag@ reaches alice@ when no exact match exists.
  const plus = local.indexOf("+");
  const candidates = [address];
  if (plus > 0) candidates.push(`${local.slice(0, plus)}@${domain}`);
  candidates.push(`@${domain}`);
  for (const candidate of candidates) {
    const user = await pool.query<{ id: number }>("SELECT id FROM users WHERE email = $1 AND NOT disabled", [candidate]);
    if (user.rowCount) return { kind: "local", address, userIds: [user.rows[0].id] };
    const alias = await pool.query<{ user_id: number }>(
      `SELECT t.user_id FROM aliases a JOIN alias_targets t ON t.alias_id = a.id JOIN users u ON u.id = t.user_id
       WHERE a.address = $1 AND NOT u.disabled ORDER BY t.user_id`,
      [candidate],
    );
    if (alias.rowCount) return { kind: "local", address, userIds: alias.rows.map((r) => r.user_id) };
  }
  return { kind: "unknown-user", address };
}
