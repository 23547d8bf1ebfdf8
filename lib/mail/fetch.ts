import { getPool } from "../db/client.ts";
import type { Envelope } from "../mime/envelope.ts";
import type { MimeNode, RawHeader } from "../mime/structure.ts";

// What IMAP FETCH, POP3 RETR and the webmail (through IMAP) read of messages: index fields, and
// on request the parsed envelope and structure and the stored bytes.

export interface FetchedMessage {
  uid: number;
  modSeq: number;
  flags: string[];
  internalDate: Date;
  size: number;
  blobHash: string;
  threadId: number;
  envelope?: Envelope;
  structure?: MimeNode;
  headers?: RawHeader[];
  data?: Buffer;
}

export async function fetchMessages(input: {
  userId: number;
  mailboxId: number;
  uids: number[];
  envelope?: boolean;
  structure?: boolean;
  headers?: boolean;
  data?: boolean;
}): Promise<FetchedMessage[]> {
  if (input.uids.length === 0) return [];
  const cols = ["m.uid", "m.mod_seq", "m.flags", "m.internal_date", "m.size", "m.blob_hash", "m.thread_id"];
  if (input.envelope) cols.push("b.envelope");
  if (input.structure) cols.push("b.body_structure");
  if (input.headers) cols.push("b.headers");
  if (input.data) cols.push("b.data");
  const needBlob = input.envelope || input.structure || input.headers || input.data;
  const r = await getPool().query(
    `SELECT ${cols.join(", ")} FROM messages m ${needBlob ? "JOIN blobs b ON b.hash = m.blob_hash" : ""}
     WHERE m.mailbox_id = $1 AND m.user_id = $2 AND m.uid = ANY($3::int[]) ORDER BY m.uid`,
    [input.mailboxId, input.userId, input.uids],
  );
  return r.rows.map((row) => ({
    uid: row.uid,
    modSeq: Number(row.mod_seq),
    flags: row.flags,
    internalDate: row.internal_date,
    size: row.size,
    blobHash: row.blob_hash,
    threadId: Number(row.thread_id),
    envelope: row.envelope,
    structure: row.body_structure,
    headers: row.headers,
    data: row.data,
  }));
}
