import { getPool, withTransaction } from "../../../db/client.ts";
import { AppError } from "../../../errors.ts";
import { readQueuedBlob } from "../../../queue/store.ts";
import { releaseSending } from "../../../smtp/submission-rate-limit.ts";

// The webmail's held messages, in the outbound queue itself (lib/queue): a send waits there until
// its send_at (the Undo seconds, or the "Send later" time) and the relay sends it then, with or
// without a browser. Listing and cancelling read and delete the user's own queue rows; a message
// can be taken back only while no relay has touched any of its recipients (row locks: a relay
// claims with FOR UPDATE SKIP LOCKED, so once we hold them it skips the message, and once it holds
// one we cannot take them).
//
// Sent copies of "Send later" messages are filed when they go: the ids wait in
// users.settings.scheduledSends and the webmail files each one into Sent once its time has come
// (claimPendingSentCopies, at most once per id whichever device asks).

export interface HeldMessage {
  id: number;
  sendAt: Date;
  createdAt: Date;
  recipients: string[];
  blobHash: string;
  /** Sent later (as opposed to held for Undo). */
  scheduled: boolean;
}

/** The user's web messages still waiting for their time, soonest first. */
export async function listHeldMessages(input: { userId: number; now?: Date }): Promise<HeldMessage[]> {
  const r = await getPool().query<{ id: number; send_at: Date; created_at: Date; blob_hash: string; recipients: string[]; scheduled: boolean }>(
    `SELECT m.id, m.send_at, m.created_at, m.blob_hash, array_agg(r.address ORDER BY r.id) AS recipients,
       COALESCE((SELECT u.settings->'scheduledSends' @> to_jsonb(m.id) FROM users u WHERE u.id = m.user_id), false) AS scheduled
     FROM outbound_messages m JOIN outbound_recipients r ON r.message_id = m.id
     WHERE m.user_id = $1 AND m.source = 'web' AND m.send_at > $2
     GROUP BY m.id
     HAVING bool_and(r.status = 'QUEUED' AND r.attempts = 0 AND r.locked_until IS NULL)
     ORDER BY m.send_at, m.id`,
    [input.userId, input.now ?? new Date()],
  );
  return r.rows.map((x) => ({ id: x.id, sendAt: x.send_at, createdAt: x.created_at, recipients: x.recipients, blobHash: x.blob_hash, scheduled: x.scheduled }));
}

export interface CancelledMessage {
  id: number;
  sender: string;
  recipients: string[];
  raw: Buffer;
}

/** Deletes the user's held message `id` before it goes; CONFLICT once a relay has it. */
export async function cancelHeldMessage(input: { userId: number; id: number }): Promise<CancelledMessage> {
  const out = await withTransaction(async (tx) => {
    const m = await tx.query<{ sender: string; blob_hash: string }>(
      "SELECT sender, blob_hash FROM outbound_messages WHERE id = $1 AND user_id = $2 AND source = 'web' FOR UPDATE",
      [input.id, input.userId],
    );
    if (!m.rowCount) throw new AppError("NOT_FOUND", "That message is not waiting to be sent.");
    let recipients;
    try {
      recipients = await tx.query<{ address: string; status: string; attempts: number; locked_until: Date | null }>(
        "SELECT address, status, attempts, locked_until FROM outbound_recipients WHERE message_id = $1 ORDER BY id FOR UPDATE NOWAIT",
        [input.id],
      );
    } catch (err) {
      // 55P03 lock_not_available: a relay is delivering it right now.
      if ((err as { code?: string }).code === "55P03") throw new AppError("CONFLICT", "Too late: the message is being sent.");
      throw err;
    }
    if (recipients.rows.some((r) => r.status !== "QUEUED" || r.attempts > 0 || r.locked_until !== null)) {
      throw new AppError("CONFLICT", "Too late: the message has been sent.");
    }
    await tx.query("DELETE FROM outbound_messages WHERE id = $1", [input.id]);
    return { sender: m.rows[0].sender, blobHash: m.rows[0].blob_hash, recipients: recipients.rows.map((r) => r.address) };
  });
  await releaseSending({ userId: input.userId, recipients: out.recipients.length }).catch(() => undefined);
  await dropPendingSentCopy({ userId: input.userId, id: input.id });
  const raw = await readQueuedBlob(out.blobHash);
  if (!raw) throw new AppError("NOT_FOUND", "The message's content is gone.");
  return { id: input.id, sender: out.sender, recipients: out.recipients, raw };
}

/** Remembers that scheduled message `id` needs its copy in Sent once it goes. */
export async function addPendingSentCopy(input: { userId: number; id: number }): Promise<void> {
  await getPool().query(
    `UPDATE users SET settings = jsonb_set(settings, '{scheduledSends}', COALESCE(settings->'scheduledSends', '[]'::jsonb) || to_jsonb($2::bigint))
     WHERE id = $1`,
    [input.userId, input.id],
  );
}

async function dropPendingSentCopy(input: { userId: number; id: number }): Promise<void> {
  await getPool().query(
    `UPDATE users SET settings = jsonb_set(settings, '{scheduledSends}',
       COALESCE((SELECT jsonb_agg(e) FROM jsonb_array_elements(settings->'scheduledSends') e WHERE e <> to_jsonb($2::bigint)), '[]'::jsonb))
     WHERE id = $1 AND settings ? 'scheduledSends'`,
    [input.userId, input.id],
  );
}

export interface DueSentCopy {
  id: number;
  recipients: string[];
  raw: Buffer;
}

/**
 * Takes the scheduled messages whose time has come off the pending list (so that one caller files
 * each) and returns them to be filed in Sent. Ids whose queue row is gone are dropped.
 */
export async function claimPendingSentCopies(input: { userId: number; now?: Date }): Promise<DueSentCopy[]> {
  const now = input.now ?? new Date();
  const due = await withTransaction(async (tx) => {
    const u = await tx.query<{ pending: unknown }>("SELECT settings->'scheduledSends' AS pending FROM users WHERE id = $1 FOR UPDATE", [input.userId]);
    const pending = Array.isArray(u.rows[0]?.pending) ? (u.rows[0].pending as unknown[]).map(Number).filter(Number.isSafeInteger) : [];
    if (pending.length === 0) return [];
    const rows = await tx.query<{ id: number; send_at: Date; blob_hash: string; recipients: string[] }>(
      `SELECT m.id, m.send_at, m.blob_hash, array_agg(r.address ORDER BY r.id) AS recipients
       FROM outbound_messages m JOIN outbound_recipients r ON r.message_id = m.id
       WHERE m.id = ANY($1::bigint[]) AND m.user_id = $2 GROUP BY m.id`,
      [pending, input.userId],
    );
    const byId = new Map(rows.rows.map((r) => [r.id, r]));
    const fired = rows.rows.filter((r) => r.send_at <= now);
    const keep = pending.filter((id) => byId.has(id) && byId.get(id)!.send_at > now);
    if (keep.length !== pending.length) {
      await tx.query("UPDATE users SET settings = jsonb_set(settings, '{scheduledSends}', $2::jsonb) WHERE id = $1", [input.userId, JSON.stringify(keep)]);
    }
    return fired;
  });
  const out: DueSentCopy[] = [];
  for (const d of due) {
    const raw = await readQueuedBlob(d.blob_hash);
    if (raw) out.push({ id: d.id, recipients: d.recipients, raw });
  }
  return out;
}

/** Puts ids back on the pending list (filing them failed). */
export async function restorePendingSentCopies(input: { userId: number; ids: number[] }): Promise<void> {
  for (const id of input.ids) await addPendingSentCopy({ userId: input.userId, id });
}
