import { getPool } from "../db/client.ts";

// Message search over one mailbox, in SQL: the store's side of IMAP SEARCH (RFC 3501 §6.4.4,
// RFC 9051 §6.4.4) and of the webmail's search box. Sequence numbers are a session's business:
// callers turn them into UIDs first. TEXT and BODY use the full-text index (prefix matching on
// words); header keys match the raw header or its decoded form, case-insensitively.

export type DateField = "internal" | "sent";

export type SearchKey =
  | { type: "all" }
  | { type: "none" }
  | { type: "flag"; flag: string; present: boolean }
  | { type: "uid"; uids: number[] }
  | { type: "uidRange"; from: number; to: number }
  | { type: "header"; field: string; value: string }
  | { type: "text"; value: string }
  | { type: "body"; value: string }
  | { type: "date"; field: DateField; op: "before" | "on" | "since"; date: Date }
  | { type: "size"; op: "larger" | "smaller"; bytes: number }
  | { type: "modseq"; modSeq: number }
  | { type: "emailId"; id: string }
  | { type: "threadId"; id: string }
  | { type: "age"; op: "older" | "younger"; seconds: number }
  | { type: "not"; key: SearchKey }
  | { type: "or"; left: SearchKey; right: SearchKey }
  | { type: "and"; keys: SearchKey[] };

export const emailIdOf = (blobHash: string) => `M${blobHash.slice(0, 24)}`;
export const threadIdOf = (threadId: number) => `T${threadId}`;
export const mailboxIdOf = (mailboxId: number) => `F${mailboxId}`;

class SqlBuilder {
  params: unknown[] = [];
  add(v: unknown): string {
    this.params.push(v);
    return `$${this.params.length}`;
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => "\\" + c);
}

/** Words of `value` as a prefix tsquery: "hel wor" → hel:* & wor:* */
export function toPrefixTsQuery(value: string): string | null {
  const words = value
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, 32);
  if (words.length === 0) return null;
  return words.map((w) => `'${w.replace(/'/g, "''")}':*`).join(" & ");
}

const DECODED_COLUMNS: Record<string, string> = { subject: "b.subject", from: "b.from_address" };

function dayStart(d: Date): Date {
  // IMAP dates have no time zone: compare by the calendar day in UTC.
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

function compile(key: SearchKey, q: SqlBuilder): string {
  switch (key.type) {
    case "all":
      return "TRUE";
    case "none":
      return "FALSE";
    case "flag":
      return `${key.present ? "" : "NOT "}(lower(${q.add(key.flag)}) = ANY (SELECT lower(f) FROM unnest(m.flags) f))`;
    case "uid":
      return `m.uid = ANY(${q.add(key.uids)}::int[])`;
    case "uidRange":
      return `m.uid BETWEEN ${q.add(key.from)} AND ${q.add(key.to)}`;
    case "header": {
      const field = key.field.toLowerCase();
      if (key.value === "") {
        return `EXISTS (SELECT 1 FROM jsonb_array_elements(b.headers) h WHERE h->>'name' = ${q.add(field)})`;
      }
      const pattern = q.add(`%${escapeLike(key.value)}%`);
      const raw = `EXISTS (SELECT 1 FROM jsonb_array_elements(b.headers) h WHERE h->>'name' = ${q.add(field)} AND h->>'value' ILIKE ${pattern})`;
      const decoded = DECODED_COLUMNS[field];
      return decoded ? `(${raw} OR ${decoded} ILIKE ${pattern})` : raw;
    }
    case "text":
    case "body": {
      const tsq = toPrefixTsQuery(key.value);
      if (!tsq) return "TRUE";
      const fts = `b.search_vector @@ to_tsquery('simple', ${q.add(tsq)})`;
      if (key.type === "body") return fts;
      // TEXT also covers every header (RFC 3501: "header or body").
      return `(${fts} OR EXISTS (SELECT 1 FROM jsonb_array_elements(b.headers) h WHERE h->>'value' ILIKE ${q.add(`%${escapeLike(key.value)}%`)}))`;
    }
    case "date": {
      const col = key.field === "internal" ? "m.internal_date" : "b.sent_date";
      const start = dayStart(key.date);
      const next = new Date(start.getTime() + 86_400_000);
      if (key.op === "before") return `${col} < ${q.add(start)}`;
      if (key.op === "since") return `${col} >= ${q.add(start)}`;
      return `(${col} >= ${q.add(start)} AND ${col} < ${q.add(next)})`;
    }
    case "size":
      return key.op === "larger" ? `m.size > ${q.add(key.bytes)}` : `m.size < ${q.add(key.bytes)}`;
    case "modseq":
      return `m.mod_seq >= ${q.add(key.modSeq)}`;
    case "emailId": {
      // M + the first 24 hex digits of the blob hash: a range on the hash, so the index serves it.
      const prefix = /^M[0-9a-f]{24}$/.test(key.id) ? key.id.slice(1) : null;
      if (!prefix) return "FALSE";
      return `(m.blob_hash >= ${q.add(prefix)} AND m.blob_hash < ${q.add(prefix + "g")})`;
    }
    case "threadId": {
      // T + the thread's id: compared as a number so that (user_id, thread_id) is indexed.
      const id = /^T[1-9][0-9]{0,17}$/.test(key.id) ? key.id.slice(1) : null;
      return id ? `m.thread_id = ${q.add(id)}::bigint` : "FALSE";
    }
    case "age":
      return key.op === "older"
        ? `m.internal_date <= now() - make_interval(secs => ${q.add(key.seconds)})`
        : `m.internal_date >= now() - make_interval(secs => ${q.add(key.seconds)})`;
    case "not":
      return `NOT (${compile(key.key, q)})`;
    case "or":
      return `((${compile(key.left, q)}) OR (${compile(key.right, q)}))`;
    case "and":
      return key.keys.length === 0 ? "TRUE" : key.keys.map((k) => `(${compile(k, q)})`).join(" AND ");
  }
}

function needsBlob(key: SearchKey): boolean {
  switch (key.type) {
    case "header":
    case "text":
    case "body":
      return true;
    case "date":
      return key.field === "sent";
    case "not":
      return needsBlob(key.key);
    case "or":
      return needsBlob(key.left) || needsBlob(key.right);
    case "and":
      return key.keys.some(needsBlob);
    default:
      return false;
  }
}

export interface SearchHit {
  uid: number;
  modSeq: number;
}

/** UIDs (ascending) of the messages in one of the user's mailboxes matching `key`. */
export async function searchMessages(input: { userId: number; mailboxId: number; key: SearchKey }): Promise<SearchHit[]> {
  const q = new SqlBuilder();
  const where = compile(input.key, q);
  const join = needsBlob(input.key) ? "JOIN blobs b ON b.hash = m.blob_hash" : "";
  const r = await getPool().query<{ uid: number; mod_seq: number }>(
    `SELECT m.uid, m.mod_seq FROM messages m ${join}
     WHERE m.mailbox_id = ${q.add(input.mailboxId)} AND m.user_id = ${q.add(input.userId)} AND (${where})
     ORDER BY m.uid`,
    q.params,
  );
  return r.rows.map((row) => ({ uid: row.uid, modSeq: Number(row.mod_seq) }));
}
