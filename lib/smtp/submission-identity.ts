import { getPool } from "../db/client.ts";

// Which addresses an authenticated user may send as, on the envelope (MAIL FROM) and in the From:
// header: their own address and every alias whose targets include them (aliases table; a
// catch-all `@domain` does not count, it would let its targets pose as every other user of the
// domain). Sub-addresses of those (`alice+tag@`) are theirs too, as they are for delivery. A
// disabled user owns nothing, which also stops a session that logged in before the account was
// disabled.

export async function ownedAddresses(input: { userId: number }): Promise<Set<string>> {
  const r = await getPool().query<{ address: string }>(
    `SELECT email AS address FROM users WHERE id = $1 AND NOT disabled
     UNION
     SELECT a.address FROM aliases a JOIN alias_targets t ON t.alias_id = a.id JOIN users u ON u.id = t.user_id
     WHERE t.user_id = $1 AND NOT u.disabled AND a.address NOT LIKE '@%'`,
    [input.userId],
  );
  return new Set(r.rows.map((row) => row.address.toLowerCase()));
}

/** Whether `address` (any case) is one of `owned` or a `+tag` sub-address of one. */
export function isOwnedAddress(owned: Set<string>, address: string): boolean {
  const a = address.trim().toLowerCase();
  if (owned.has(a)) return true;
  const at = a.lastIndexOf("@");
  const plus = a.indexOf("+");
  return plus > 0 && plus < at && owned.has(a.slice(0, plus) + a.slice(at));
}
