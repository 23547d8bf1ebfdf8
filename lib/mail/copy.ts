import type pg from "pg";
import { withTransaction } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { publishMailEvent } from "./events.ts";
import { chargeQuota, noteKeywords, stampMailbox } from "./store.ts";

// COPY and MOVE (RFC 3501 §6.4.7, RFC 6851) with UIDPLUS's COPYUID mapping (RFC 4315).

export interface CopyResult {
  uidValidity: number;
  /** [source uid, destination uid] in ascending source order. */
  mapping: [number, number][];
  modSeq: number | null;
}

interface SourceRow {
  uid: number;
  blob_hash: string;
  thread_id: number;
  message_id: string | null;
  flags: string[];
  internal_date: Date;
  size: number;
}

async function copyInto(
  tx: pg.PoolClient,
  input: { userId: number; fromMailboxId: number; uids: number[]; toMailboxId: number },
): Promise<{ rows: SourceRow[]; result: CopyResult }> {
  const src = await tx.query<SourceRow>(
    `SELECT uid, blob_hash, thread_id, message_id, flags, internal_date, size FROM messages
     WHERE mailbox_id = $1 AND user_id = $2 AND uid = ANY($3::int[]) ORDER BY uid`,
    [input.fromMailboxId, input.userId, input.uids],
  );
  const rows = src.rows;
  if (rows.length === 0) {
    const target = await tx.query<{ uid_validity: number }>("SELECT uid_validity FROM mailboxes WHERE id = $1 AND user_id = $2", [
      input.toMailboxId,
      input.userId,
    ]);
    if (target.rowCount === 0) throw new AppError("NOT_FOUND", "no such mailbox");
    return { rows, result: { uidValidity: target.rows[0].uid_validity, mapping: [], modSeq: null } };
  }
  const stamp = await stampMailbox(tx, input.userId, input.toMailboxId, rows.length);
  const mapping: [number, number][] = rows.map((r, i) => [r.uid, stamp.firstUid + i]);
  await tx.query(
    `INSERT INTO messages (user_id, mailbox_id, uid, mod_seq, blob_hash, thread_id, message_id, flags, internal_date, size)
     SELECT $1, $2, u.new_uid, $3, m.blob_hash, m.thread_id, m.message_id, m.flags, m.internal_date, m.size
     FROM unnest($4::int[], $5::int[]) AS u(old_uid, new_uid)
     JOIN messages m ON m.mailbox_id = $6 AND m.uid = u.old_uid`,
    [input.userId, input.toMailboxId, stamp.modSeq, mapping.map((m) => m[0]), mapping.map((m) => m[1]), input.fromMailboxId],
  );
  await noteKeywords(tx, input.toMailboxId, [...new Set(rows.flatMap((r) => r.flags))]);
  await publishMailEvent(tx, { userId: input.userId, mailboxId: input.toMailboxId, modSeq: stamp.modSeq, kind: "append" });
  return { rows, result: { uidValidity: stamp.uidValidity, mapping, modSeq: stamp.modSeq } };
}

export async function copyMessages(input: {
  userId: number;
  fromMailboxId: number;
  uids: number[];
  toMailboxId: number;
}): Promise<CopyResult> {
  return withTransaction(async (tx) => {
    // The user's lock first, then the sizes: a move or expunge of the same messages that
    // committed meanwhile is seen, so what is charged is what is copied.
    await chargeQuota(tx, input.userId, 0);
    const sizes = await tx.query<{ total: number }>(
      "SELECT coalesce(sum(size), 0)::bigint AS total FROM messages WHERE mailbox_id = $1 AND user_id = $2 AND uid = ANY($3::int[])",
      [input.fromMailboxId, input.userId, input.uids],
    );
    await chargeQuota(tx, input.userId, Number(sizes.rows[0].total));
    return (await copyInto(tx, input)).result;
  });
}

export interface MoveResult extends CopyResult {
  /** Source UIDs removed, with the source mailbox's new modseq. */
  expunged: number[];
  sourceModSeq: number | null;
}

export async function moveMessages(input: {
  userId: number;
  fromMailboxId: number;
  uids: number[];
  toMailboxId: number;
}): Promise<MoveResult> {
  if (input.fromMailboxId === input.toMailboxId) throw new AppError("INVALID", "source and destination are the same mailbox");
  return withTransaction(async (tx) => {
    // Lock the user row first (lock order), although a move does not change usage.
    await chargeQuota(tx, input.userId, 0);
    const [first, second] = [input.fromMailboxId, input.toMailboxId].sort((a, b) => a - b);
    await tx.query("SELECT id FROM mailboxes WHERE id IN ($1, $2) AND user_id = $3 ORDER BY id FOR UPDATE", [first, second, input.userId]);
    const { rows, result } = await copyInto(tx, input);
    if (rows.length === 0) return { ...result, expunged: [], sourceModSeq: null };
    const stamp = await stampMailbox(tx, input.userId, input.fromMailboxId, 0);
    const uids = rows.map((r) => r.uid);
    await tx.query("DELETE FROM messages WHERE mailbox_id = $1 AND uid = ANY($2::int[])", [input.fromMailboxId, uids]);
    await tx.query(
      `INSERT INTO expunged (mailbox_id, uid, mod_seq) SELECT $1, u, $2 FROM unnest($3::int[]) u
       ON CONFLICT (mailbox_id, uid) DO UPDATE SET mod_seq = EXCLUDED.mod_seq`,
      [input.fromMailboxId, stamp.modSeq, uids],
    );
    await publishMailEvent(tx, { userId: input.userId, mailboxId: input.fromMailboxId, modSeq: stamp.modSeq, kind: "expunge" });
    return { ...result, expunged: uids, sourceModSeq: stamp.modSeq };
  });
}
