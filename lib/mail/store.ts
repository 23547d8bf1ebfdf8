import type pg from "pg";
import { AppError } from "../errors.ts";
import { MAIL_CHANNEL } from "./events.ts";

// Row-level primitives shared by every change to the store. Lock order, to stay free of
// deadlocks: users by ascending id, then each user's mailboxes by ascending id.

export interface MailboxStamp {
  mailboxId: number;
  uidValidity: number;
  /** First UID allocated (when n > 0). */
  firstUid: number;
  modSeq: number;
}

/** Adds `bytes` to the user's usage, failing with OVER_QUOTA (and so rolling back) past the quota. */
export async function chargeQuota(tx: pg.PoolClient, userId: number, bytes: number): Promise<void> {
  const r = await tx.query<{ used_bytes: number; quota_bytes: number; disabled: boolean }>(
    "UPDATE users SET used_bytes = used_bytes + $2 WHERE id = $1 RETURNING used_bytes, quota_bytes, disabled",
    [userId, bytes],
  );
  if (r.rowCount === 0) throw new AppError("NOT_FOUND", `no user ${userId}`);
  const row = r.rows[0];
  if (bytes > 0 && Number(row.used_bytes) > Number(row.quota_bytes)) {
    throw new AppError("OVER_QUOTA", "mailbox is full: the message would exceed the storage quota");
  }
}

/** Takes n UIDs and one new modseq for a mailbox of `userId` (locking its row until commit). */
export async function stampMailbox(tx: pg.PoolClient, userId: number, mailboxId: number, n = 0): Promise<MailboxStamp> {
  const r = await tx.query<{ uid_next: number; highest_mod_seq: number; uid_validity: number }>(
    `UPDATE mailboxes SET uid_next = uid_next + $3, highest_mod_seq = highest_mod_seq + 1
     WHERE id = $1 AND user_id = $2 RETURNING uid_next, highest_mod_seq, uid_validity`,
    [mailboxId, userId, n],
  );
  if (r.rowCount === 0) throw new AppError("NOT_FOUND", "no such mailbox");
  const row = r.rows[0];
  return {
    mailboxId,
    uidValidity: row.uid_validity,
    firstUid: row.uid_next - n,
    modSeq: Number(row.highest_mod_seq),
  };
}

/** Finds a user's mailbox by name (INBOX case-insensitively) or by SPECIAL-USE attribute. */
export async function findMailboxId(tx: pg.PoolClient | pg.Pool, userId: number, nameOrUse: string): Promise<number> {
  const r = nameOrUse.startsWith("\\")
    ? await tx.query<{ id: number }>("SELECT id FROM mailboxes WHERE user_id = $1 AND special_use = $2 ORDER BY id LIMIT 1", [
        userId,
        nameOrUse,
      ])
    : await tx.query<{ id: number }>("SELECT id FROM mailboxes WHERE user_id = $1 AND name = $2", [
        userId,
        nameOrUse.toUpperCase() === "INBOX" ? "INBOX" : nameOrUse,
      ]);
  if (r.rowCount === 0) throw new AppError("NOT_FOUND", `no mailbox ${nameOrUse}`);
  return r.rows[0].id;
}

export function normalizeFlags(flags: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const f of flags) {
    const key = f.toLowerCase();
    if (!seen.has(key)) seen.set(key, f);
  }
  return [...seen.values()];
}

/** SQL: the flags of `param` (a text[]) that the mailbox's keyword list lacks, case-insensitively, once each. */
const newKeywords = (param: string) => `ARRAY(
  SELECT f FROM (SELECT DISTINCT ON (lower(f)) f FROM unnest(${param}::text[]) f) n
  WHERE lower(f) <> ALL (SELECT lower(k) FROM unnest(keywords) k))`;

/** Adds flags not seen before in the mailbox to its keyword list (case-insensitively). */
export async function noteKeywords(tx: pg.PoolClient, mailboxId: number, flags: readonly string[]): Promise<void> {
  if (flags.length === 0) return;
  await tx.query(
    `UPDATE mailboxes SET keywords = keywords || ${newKeywords("$2")}
     WHERE id = $1 AND EXISTS (
       SELECT 1 FROM unnest($2::text[]) f WHERE lower(f) <> ALL (SELECT lower(k) FROM unnest(keywords) k))`,
    [mailboxId, [...flags]],
  );
}

export interface NewMessageRow {
  blobHash: string;
  threadId: number;
  messageId: string | null;
  flags: readonly string[];
  internalDate: Date;
  size: number;
}

export interface InsertedMessages extends MailboxStamp {
  uids: number[];
}

/**
 * Files new messages into a mailbox in one statement: charges the user's quota (taking the user's
 * row lock, then the mailbox's: the lock order), allocates consecutive UIDs and one modseq, adds
 * new flags to the mailbox's keyword list, inserts the rows and queues the append event. Callers
 * resolve blobs, mailbox and threads first, so the locks are held for this one round trip and the
 * commit only: deliveries into one mailbox queue on those locks. Throws OVER_QUOTA or NOT_FOUND
 * (nothing written once the caller rolls back).
 */
export async function insertMessages(
  tx: pg.PoolClient,
  input: { userId: number; mailboxId: number; messages: readonly NewMessageRow[] },
): Promise<InsertedMessages> {
  const n = input.messages.length;
  const bytes = input.messages.reduce((sum, m) => sum + m.size, 0);
  const rows = input.messages.map((m, k) => ({
    o: k,
    h: m.blobHash,
    t: m.threadId,
    i: m.messageId,
    f: normalizeFlags(m.flags),
    d: m.internalDate.toISOString(),
    s: m.size,
  }));
  const keywords = [...new Set(input.messages.flatMap((m) => m.flags))];
  const r = await tx.query<{
    found_user: boolean;
    over_quota: boolean;
    first_uid: number | null;
    mod_seq: string | null;
    uid_validity: number | null;
  }>(
    `WITH q AS (
       UPDATE users SET used_bytes = used_bytes + $3 WHERE id = $1 RETURNING used_bytes, quota_bytes
     ), s AS (
       UPDATE mailboxes SET uid_next = uid_next + $4, highest_mod_seq = highest_mod_seq + 1,
         keywords = CASE WHEN cardinality($6::text[]) = 0 THEN keywords ELSE keywords || ${newKeywords("$6")} END
       WHERE id = $2 AND user_id = $1 AND (SELECT $3 <= 0 OR used_bytes <= quota_bytes FROM q)
       RETURNING uid_next - $4 AS first_uid, highest_mod_seq, uid_validity
     ), i AS (
       INSERT INTO messages (user_id, mailbox_id, uid, mod_seq, blob_hash, thread_id, message_id, flags, internal_date, size)
       SELECT $1, $2, s.first_uid + u.o, s.highest_mod_seq, u.h, u.t, u.i, u.f, u.d, u.s
       FROM s, jsonb_to_recordset($5::jsonb) AS u(o int, h text, t bigint, i text, f text[], d timestamptz, s int)
       RETURNING 1
     ), e AS (
       SELECT pg_notify('${MAIL_CHANNEL}', json_build_object('u', $1::int, 'm', $2::int, 's', s.highest_mod_seq, 'k', 'append')::text) FROM s
     )
     SELECT EXISTS (SELECT 1 FROM q) AS found_user,
       EXISTS (SELECT 1 FROM q WHERE $3 > 0 AND used_bytes > quota_bytes) AS over_quota,
       s.first_uid, s.highest_mod_seq AS mod_seq, s.uid_validity,
       (SELECT count(*) FROM e) AS notified
     FROM (SELECT 1) one LEFT JOIN s ON true`,
    [input.userId, input.mailboxId, bytes, n, JSON.stringify(rows), keywords],
  );
  const row = r.rows[0];
  if (!row.found_user) throw new AppError("NOT_FOUND", `no user ${input.userId}`);
  if (row.over_quota) throw new AppError("OVER_QUOTA", "mailbox is full: the message would exceed the storage quota");
  if (row.first_uid === null || row.mod_seq === null || row.uid_validity === null) throw new AppError("NOT_FOUND", "no such mailbox");
  const uids = input.messages.map((_, k) => row.first_uid! + k);
  return { mailboxId: input.mailboxId, uidValidity: row.uid_validity, firstUid: row.first_uid, modSeq: Number(row.mod_seq), uids };
}
