import { createHash } from "node:crypto";
import type pg from "pg";
import { getPool } from "../db/client.ts";
import type { ParsedMessage } from "../mime/parse.ts";

// Content-addressed message bytes: one row per distinct message, however many mailboxes hold it.

export function hashMessage(raw: Buffer): string {
  return createHash("sha256").update(raw).digest("hex");
}

/** Inserts the blob unless it exists; returns its hash. Runs inside the caller's transaction. */
export async function storeBlob(tx: pg.PoolClient, raw: Buffer, parsed: ParsedMessage): Promise<string> {
  const hash = hashMessage(raw);
  await tx.query(
    `INSERT INTO blobs (hash, size, data, subject, from_address, sent_date, message_id, in_reply_to,
       "references", envelope, body_structure, headers, snippet, has_attachments, attachments, search_vector)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, to_tsvector('simple', $16))
     ON CONFLICT (hash) DO NOTHING`,
    [
      hash,
      raw.length,
      raw,
      parsed.subject.replace(/\0/g, ""),
      parsed.fromAddress.replace(/\0/g, ""),
      parsed.sentDate,
      parsed.messageId,
      parsed.inReplyTo,
      parsed.references,
      JSON.stringify(parsed.envelope).replace(/\\u0000/g, ""),
      JSON.stringify(parsed.structure).replace(/\\u0000/g, ""),
      JSON.stringify(parsed.headers).replace(/\\u0000/g, ""),
      parsed.snippet.replace(/\0/g, ""),
      parsed.hasAttachments,
      JSON.stringify(parsed.attachments).replace(/\\u0000/g, ""),
      parsed.searchText.replace(/\0/g, ""),
    ],
  );
  return hash;
}

export async function readBlob(hash: string): Promise<Buffer> {
  const r = await getPool().query<{ data: Buffer }>("SELECT data FROM blobs WHERE hash = $1", [hash]);
  if (r.rowCount === 0) throw new Error(`blob ${hash} missing`);
  return r.rows[0].data;
}

/** Several blobs in one query, by hash. Missing hashes are absent from the map. */
export async function readBlobs(hashes: string[]): Promise<Map<string, Buffer>> {
  const r = await getPool().query<{ hash: string; data: Buffer }>("SELECT hash, data FROM blobs WHERE hash = ANY($1::text[])", [hashes]);
  return new Map(r.rows.map((row) => [row.hash, row.data]));
}
