import { createHash } from "node:crypto";
import type pg from "pg";
import { getPool, withTransaction } from "../db/client.ts";
import type { ParsedMessage } from "../mime/parse.ts";

// Content-addressed message bytes: one row per distinct message, however many mailboxes hold it
// or queued messages send it. Once nothing refers to a blob (its messages expunged, its queue
// entry gone), sweepBlobs deletes it: bytes, parsed fields and full-text entry.

export function hashMessage(raw: Buffer): string {
  return createHash("sha256").update(raw).digest("hex");
}

/** Inserts the blob unless it exists; returns its hash. Runs inside the caller's transaction. */
export async function storeBlob(tx: pg.PoolClient, raw: Buffer, parsed: ParsedMessage): Promise<string> {
  const hash = hashMessage(raw);
  for (;;) {
    if (await insertBlob(tx, hash, raw, parsed)) return hash;
    // It was there: hold it (KEY SHARE) until commit so that sweepBlobs cannot remove it before
    // our reference lands. Gone meanwhile (swept just now): insert it again.
    const held = await tx.query("SELECT 1 FROM blobs WHERE hash = $1 FOR KEY SHARE", [hash]);
    if (held.rowCount) return hash;
  }
}

async function insertBlob(tx: pg.PoolClient, hash: string, raw: Buffer, parsed: ParsedMessage): Promise<boolean> {
  const r = await tx.query(
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
  return r.rowCount === 1;
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

export interface SweepResult {
  blobs: number;
  threads: number;
}

/**
 * Deletes blobs that no message and no queued message refers to, and threads without messages,
 * created more than `graceMs` ago (a delivery in flight refers to its blob only at commit), in
 * batches of `batch`, until none are left. Safe beside deliveries and other sweepers: candidates
 * are locked (SKIP LOCKED: a row a writer holds is left for next time) and checked again in a
 * later statement, which sees every reference committed before the lock.
 */
export async function sweepBlobs(input: { graceMs?: number; batch?: number } = {}): Promise<SweepResult> {
  const grace = `${Math.max(0, Math.round(input.graceMs ?? 60 * 60 * 1000))} milliseconds`;
  const batch = input.batch ?? 500;
  const result: SweepResult = { blobs: 0, threads: 0 };
  for (const [table, key, unreferenced] of [
    ["blobs", "hash", "NOT EXISTS (SELECT 1 FROM messages m WHERE m.blob_hash = x.hash) AND NOT EXISTS (SELECT 1 FROM outbound_messages o WHERE o.blob_hash = x.hash)"],
    ["threads", "id", "NOT EXISTS (SELECT 1 FROM messages m WHERE m.user_id = x.user_id AND m.thread_id = x.id)"],
  ] as const) {
    for (;;) {
      const deleted = await withTransaction(async (tx) => {
        const candidates = await tx.query(
          `SELECT ${key} AS k FROM ${table} x WHERE x.created_at < now() - $1::interval AND ${unreferenced}
           LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [grace, batch],
        );
        if (candidates.rowCount === 0) return { found: 0, deleted: 0 };
        const keys = candidates.rows.map((r) => r.k);
        const gone = await tx.query(`DELETE FROM ${table} x WHERE x.${key} = ANY($1) AND ${unreferenced}`, [keys]);
        return { found: candidates.rowCount ?? 0, deleted: gone.rowCount ?? 0 };
      });
      result[table] += deleted.deleted;
      if (deleted.found < batch) break;
    }
  }
  return result;
}
