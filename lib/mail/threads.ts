import type pg from "pg";
import type { ParsedMessage } from "../mime/parse.ts";

// Conversations from Message-ID / In-Reply-To / References (RFC 5256 REFERENCES, simplified to
// "join the thread of any referenced message this user holds"), computed once per delivery.

export async function findOrCreateThread(tx: pg.PoolClient, userId: number, parsed: ParsedMessage): Promise<number> {
  const related = [...parsed.references, ...(parsed.inReplyTo ? [parsed.inReplyTo] : [])];
  if (parsed.messageId) related.push(parsed.messageId);
  if (related.length > 0) {
    const r = await tx.query<{ thread_id: number }>(
      `SELECT thread_id FROM messages WHERE user_id = $1 AND message_id = ANY($2::text[])
       ORDER BY id LIMIT 1`,
      [userId, related],
    );
    if (r.rowCount) return r.rows[0].thread_id;
  }
  const created = await tx.query<{ id: number }>(
    "INSERT INTO threads (user_id, subject) VALUES ($1, $2) RETURNING id",
    [userId, parsed.subject.replace(/\0/g, "").slice(0, 500)],
  );
  return created.rows[0].id;
}
