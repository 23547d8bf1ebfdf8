import { getPool } from "../db/client.ts";

// Reads of a mailbox's message index, for SELECT, FETCH, POP3 and the web (through IMAP).

export interface MessageSummary {
  id: number;
  uid: number;
  modSeq: number;
  flags: string[];
  internalDate: Date;
  size: number;
  blobHash: string;
  threadId: number;
}

export async function listMessages(input: {
  userId: number;
  mailboxId: number;
  changedSince?: number;
}): Promise<MessageSummary[]> {
  const params: unknown[] = [input.mailboxId, input.userId];
  let where = "mailbox_id = $1 AND user_id = $2";
  if (input.changedSince !== undefined) {
    params.push(input.changedSince);
    where += " AND mod_seq > $3";
  }
  const r = await getPool().query(
    `SELECT id, uid, mod_seq, flags, internal_date, size, blob_hash, thread_id FROM messages WHERE ${where} ORDER BY uid`,
    params,
  );
  return r.rows.map((row) => ({
    id: Number(row.id),
    uid: row.uid,
    modSeq: Number(row.mod_seq),
    flags: row.flags,
    internalDate: row.internal_date,
    size: row.size,
    blobHash: row.blob_hash,
    threadId: Number(row.thread_id),
  }));
}

/** UIDs expunged from a mailbox after `sinceModSeq` (RFC 7162 §3.2.5 VANISHED (EARLIER)). */
export async function listExpungedSince(input: { userId: number; mailboxId: number; sinceModSeq: number }): Promise<number[]> {
  const r = await getPool().query<{ uid: number }>(
    `SELECT e.uid FROM expunged e JOIN mailboxes b ON b.id = e.mailbox_id
     WHERE e.mailbox_id = $1 AND b.user_id = $2 AND e.mod_seq > $3 ORDER BY e.uid`,
    [input.mailboxId, input.userId, input.sinceModSeq],
  );
  return r.rows.map((x) => x.uid);
}

export async function getQuota(input: { userId: number }): Promise<{ usedBytes: number; quotaBytes: number; messages: number }> {
  const r = await getPool().query(
    `SELECT used_bytes, quota_bytes, (SELECT coalesce(sum(message_count), 0) FROM mailboxes WHERE user_id = $1)::int AS messages
     FROM users WHERE id = $1`,
    [input.userId],
  );
  const row = r.rows[0];
  return { usedBytes: Number(row?.used_bytes ?? 0), quotaBytes: Number(row?.quota_bytes ?? 0), messages: row?.messages ?? 0 };
}
