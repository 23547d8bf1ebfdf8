import { getPool } from "../db/client.ts";
import { normalizeMailboxName } from "../mail/mailboxes.ts";

// Reads the IMAP server needs that lib/mail does not offer (yet): one-statement snapshots of a
// mailbox for SELECT and for change tracking, and the sort/thread fields of SORT and THREAD.
// Candidates for lib/mail (see the IMAP report).

export interface MailboxState {
  uidValidity: number;
  uidNext: number;
  highestModSeq: number;
}

/** The mailbox's counters, or null when it no longer exists. */
export async function readMailboxState(input: { userId: number; mailboxId: number }): Promise<MailboxState | null> {
  const r = await getPool().query(
    "SELECT uid_validity, uid_next, highest_mod_seq FROM mailboxes WHERE id = $1 AND user_id = $2",
    [input.mailboxId, input.userId],
  );
  if (r.rowCount === 0) return null;
  const row = r.rows[0];
  return { uidValidity: row.uid_validity, uidNext: row.uid_next, highestModSeq: Number(row.highest_mod_seq) };
}

export interface MailboxIndex extends MailboxState {
  /** Ascending, or a gapless range. */
  uids: number[] | { from: number; to: number };
  /** UID of the first message without \Seen, or null. */
  firstUnseenUid: number | null;
  /** Every keyword and system flag used in the mailbox, as first spelled. */
  flags: string[];
}

/**
 * readMailboxIndex's statement ($1 mailbox id, $2 user id). The count is the mailbox's counter
 * (kept by triggers on messages); the lowest and highest UID are two index lookups. UIDs without
 * gaps (nothing ever expunged) are described by their range alone; otherwise the whole list comes
 * as one array (OFFSET 0 keeps the planner from inlining c into the CASE, which would run each
 * lookup twice). The first unseen UID's predicate is the one of the partial index
 * messages_unseen_idx, written identically so that the planner can use it.
 */
export function mailboxIndexQuery(firstUnseen: boolean): string {
  return `SELECT b.uid_validity, b.uid_next, b.highest_mod_seq, b.message_count AS n, c.lo, c.hi,
       CASE WHEN b.message_count = 0 OR b.message_count = c.hi - c.lo + 1 THEN NULL
            ELSE (SELECT array_agg(m.uid ORDER BY m.uid) FROM messages m WHERE m.mailbox_id = b.id) END AS uids,
       ${firstUnseen ? `(SELECT min(m.uid) FROM messages m WHERE m.mailbox_id = b.id AND NOT ('\\Seen' = ANY(m.flags)))` : "NULL::int"} AS first_unseen
     FROM mailboxes b,
       LATERAL (SELECT (SELECT m.uid FROM messages m WHERE m.mailbox_id = b.id ORDER BY m.uid LIMIT 1) AS lo,
                       (SELECT m.uid FROM messages m WHERE m.mailbox_id = b.id ORDER BY m.uid DESC LIMIT 1) AS hi
                OFFSET 0) c
     WHERE b.id = $1 AND b.user_id = $2`;
}

/**
 * Everything SELECT needs. UIDs and counters come from one statement (one snapshot); the keyword
 * list (kept on the mailbox row) is read alongside on another connection (it only feeds the FLAGS
 * response, and keywords added later are announced as they appear).
 */
export async function readMailboxIndex(input: { userId: number; mailboxId: number; firstUnseen?: boolean }): Promise<MailboxIndex | null> {
  const [main, keywords] = await Promise.all([
    // IMAP4rev2 dropped [UNSEEN n] from SELECT: skip the lookup of the first unseen message then.
    getPool().query(mailboxIndexQuery(input.firstUnseen !== false), [input.mailboxId, input.userId]),
    // Kept on the mailbox by lib/mail (every flag ever used there), in the order a scan gave.
    getPool().query<{ flags: string[] }>(
      `SELECT ARRAY(SELECT DISTINCT f FROM unnest(keywords) f) AS flags FROM mailboxes WHERE id = $1 AND user_id = $2`,
      [input.mailboxId, input.userId],
    ),
  ]);
  if (main.rowCount === 0) return null;
  const row = main.rows[0];
  return {
    uidValidity: row.uid_validity,
    uidNext: row.uid_next,
    highestModSeq: Number(row.highest_mod_seq),
    uids: row.uids ?? (row.n === 0 ? [] : { from: row.lo, to: row.hi }),
    firstUnseenUid: row.first_unseen ?? null,
    flags: keywords.rows[0]?.flags ?? [],
  };
}

export interface SortFields {
  uid: number;
  size: number;
  internalDate: Date;
  sentDate: Date | null;
  /** Subject, RFC 2047 words decoded, or "". */
  subject: string;
  from: { name: string | null; mailbox: string | null; host: string | null } | null;
  to: { name: string | null; mailbox: string | null; host: string | null } | null;
  cc: { name: string | null; mailbox: string | null; host: string | null } | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
}

/** The fields SORT (RFC 5256) and THREAD=REFERENCES need, for the given UIDs. */
export async function readSortFields(input: { userId: number; mailboxId: number; uids: number[] }): Promise<SortFields[]> {
  if (input.uids.length === 0) return [];
  const r = await getPool().query(
    `SELECT m.uid, m.size, m.internal_date, b.sent_date, b.subject,
        b.envelope->'from'->0 AS from_addr, b.envelope->'to'->0 AS to_addr, b.envelope->'cc'->0 AS cc_addr,
        b.message_id, b.in_reply_to, b."references"
     FROM messages m JOIN blobs b ON b.hash = m.blob_hash
     WHERE m.mailbox_id = $1 AND m.user_id = $2 AND m.uid = ANY($3::int[]) ORDER BY m.uid`,
    [input.mailboxId, input.userId, input.uids],
  );
  return r.rows.map((row) => ({
    uid: row.uid,
    size: row.size,
    internalDate: row.internal_date,
    sentDate: row.sent_date,
    subject: row.subject ?? "",
    from: row.from_addr,
    to: row.to_addr,
    cc: row.cc_addr,
    messageId: row.message_id,
    inReplyTo: row.in_reply_to,
    references: row.references ?? [],
  }));
}

/** Messages flagged \Deleted in a mailbox (STATUS DELETED, RFC 9051 §6.3.11). */
export async function countDeleted(input: { userId: number; mailboxId: number }): Promise<number> {
  const r = await getPool().query<{ n: number }>(
    `SELECT count(*)::int AS n FROM messages
     WHERE mailbox_id = $1 AND user_id = $2 AND '\\deleted' = ANY(SELECT lower(f) FROM unnest(flags) f)`,
    [input.mailboxId, input.userId],
  );
  return r.rows[0].n;
}

/** A mailbox of the user by name (INBOX in any case), without counting its messages. */
export async function findMailbox(input: { userId: number; name: string }): Promise<{ id: number; name: string } | null> {
  const name = normalizeMailboxName(input.name);
  const r = await getPool().query<{ id: number; name: string }>("SELECT id, name FROM mailboxes WHERE user_id = $1 AND name = $2", [
    input.userId,
    name,
  ]);
  return r.rows[0] ?? null;
}

export interface MessageMeta {
  uid: number;
  modSeq: number;
  flags: string[];
  internalDate?: Date;
  size?: number;
  blobHash?: string;
  threadId?: number;
}

/**
 * Index fields of the given UIDs (ascending), reading only the columns asked for: the hot path
 * of FETCH FLAGS, which clients run over whole mailboxes. A dense UID list is read as one range.
 */
export async function readMessageMeta(input: {
  userId: number;
  mailboxId: number;
  uids: number[];
  dates?: boolean;
  sizes?: boolean;
  ids?: boolean;
  /** Only messages with a modseq above this one (CHANGEDSINCE). */
  changedSince?: number;
}): Promise<MessageMeta[]> {
  const { uids } = input;
  if (uids.length === 0) return [];
  const cols = ["uid", "mod_seq", "flags"];
  if (input.dates) cols.push("internal_date");
  if (input.sizes) cols.push("size");
  if (input.ids) cols.push("blob_hash", "thread_id");
  const first = uids[0];
  const last = uids[uids.length - 1];
  const dense = last - first + 1 <= 2 * uids.length;
  const values: unknown[] = dense ? [input.mailboxId, input.userId, first, last] : [input.mailboxId, input.userId, uids];
  let where = dense ? "uid BETWEEN $3 AND $4" : "uid = ANY($3::int[])";
  if (input.changedSince !== undefined) {
    values.push(input.changedSince);
    where += ` AND mod_seq > $${values.length}`;
  }
  const r = await getPool().query({
    text: `SELECT ${cols.join(", ")} FROM messages WHERE mailbox_id = $1 AND user_id = $2 AND ${where} ORDER BY uid`,
    values,
  });
  const wanted = dense && last - first + 1 !== uids.length ? new Set(uids) : null;
  const out: MessageMeta[] = [];
  for (const row of r.rows) {
    if (wanted && !wanted.has(row.uid)) continue;
    const m: MessageMeta = { uid: row.uid, modSeq: Number(row.mod_seq), flags: row.flags };
    if (input.dates) m.internalDate = row.internal_date;
    if (input.sizes) m.size = row.size;
    if (input.ids) {
      m.blobHash = row.blob_hash;
      m.threadId = Number(row.thread_id);
    }
    out.push(m);
  }
  return out;
}
