import { withTransaction } from "../db/client.ts";
import { publishMailEvent } from "./events.ts";
import { chargeQuota, stampMailbox } from "./store.ts";

// EXPUNGE / UID EXPUNGE (RFC 3501 §6.4.3, RFC 4315 §2.1): removes messages flagged \Deleted
// (optionally only among `uids`), remembering each UID with the removal's modseq for QRESYNC.

export async function expungeMessages(input: {
  userId: number;
  mailboxId: number;
  uids?: number[];
  /** Remove the given UIDs whether or not they are flagged \Deleted (webmail "delete forever"). */
  ignoreDeletedFlag?: boolean;
}): Promise<{ uids: number[]; modSeq: number | null }> {
  return withTransaction(async (tx) => {
    // The user's lock before choosing the victims: two expunges of the same messages side by
    // side must not both refund them (the second sees them gone).
    await chargeQuota(tx, input.userId, 0);
    const conditions = ["mailbox_id = $1", "user_id = $2"];
    const params: unknown[] = [input.mailboxId, input.userId];
    if (!input.ignoreDeletedFlag) conditions.push(`'\\deleted' = ANY(SELECT lower(f) FROM unnest(flags) f)`);
    if (input.uids) {
      params.push(input.uids);
      conditions.push(`uid = ANY($${params.length}::int[])`);
    }
    const victims = await tx.query<{ uid: number; size: number }>(
      `SELECT uid, size FROM messages WHERE ${conditions.join(" AND ")} ORDER BY uid`,
      params,
    );
    if (victims.rowCount === 0) return { uids: [], modSeq: null };
    const uids = victims.rows.map((r) => r.uid);
    const bytes = victims.rows.reduce((n, r) => n + r.size, 0);
    await chargeQuota(tx, input.userId, -bytes);
    const stamp = await stampMailbox(tx, input.userId, input.mailboxId, 0);
    await tx.query("DELETE FROM messages WHERE mailbox_id = $1 AND uid = ANY($2::int[])", [input.mailboxId, uids]);
    await tx.query(
      `INSERT INTO expunged (mailbox_id, uid, mod_seq) SELECT $1, u, $2 FROM unnest($3::int[]) u
       ON CONFLICT (mailbox_id, uid) DO UPDATE SET mod_seq = EXCLUDED.mod_seq`,
      [input.mailboxId, stamp.modSeq, uids],
    );
    await publishMailEvent(tx, { userId: input.userId, mailboxId: input.mailboxId, modSeq: stamp.modSeq, kind: "expunge" });
    return { uids, modSeq: stamp.modSeq };
  });
}
