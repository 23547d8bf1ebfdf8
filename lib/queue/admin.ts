import { getPool, withTransaction } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { notifyQueue, type RecipientStatus } from "./store.ts";

// Operator views of the queue (`npm run cli -- queue list|retry|remove`).

function checkId(id: number): void {
  if (!Number.isSafeInteger(id) || id <= 0) throw new AppError("INVALID", `not a queue id: ${id}`);
}

export interface QueueEntry {
  messageId: number;
  recipientId: number;
  sender: string;
  address: string;
  status: RecipientStatus;
  attempts: number;
  lastError: string | null;
  remoteReply: string | null;
  nextAttemptAt: Date;
  createdAt: Date;
  expiresAt: Date;
  source: string;
}

/** One entry per recipient, oldest message first; `pending` keeps only QUEUED and DEFERRED. */
export async function listQueue(input: { pending?: boolean; limit?: number } = {}): Promise<QueueEntry[]> {
  const r = await getPool().query<{
    message_id: number;
    recipient_id: number;
    sender: string;
    address: string;
    status: RecipientStatus;
    attempts: number;
    last_error: string | null;
    remote_reply: string | null;
    next_attempt_at: Date;
    created_at: Date;
    expires_at: Date;
    source: string;
  }>(
    `SELECT m.id AS message_id, r.id AS recipient_id, m.sender, r.address, r.status, r.attempts, r.last_error,
       r.remote_reply, r.next_attempt_at, m.created_at, m.expires_at, m.source
     FROM outbound_messages m JOIN outbound_recipients r ON r.message_id = m.id
     WHERE NOT $1::boolean OR r.status IN ('QUEUED', 'DEFERRED')
     ORDER BY m.id, r.id LIMIT $2`,
    [input.pending ?? false, input.limit ?? 10_000],
  );
  return r.rows.map((x) => ({
    messageId: x.message_id,
    recipientId: x.recipient_id,
    sender: x.sender,
    address: x.address,
    status: x.status,
    attempts: x.attempts,
    lastError: x.last_error,
    remoteReply: x.remote_reply,
    nextAttemptAt: x.next_attempt_at,
    createdAt: x.created_at,
    expiresAt: x.expires_at,
    source: x.source,
  }));
}

/**
 * Makes the pending recipients of message `id` (or the single recipient `id` when no message has
 * that id) due now and wakes the relays. Returns how many; NOT_FOUND when none is pending.
 */
export async function retryQueued(input: { id: number; now?: Date }): Promise<number> {
  checkId(input.id);
  return withTransaction(async (tx) => {
    const now = input.now ?? new Date();
    const byMessage = await tx.query("SELECT 1 FROM outbound_messages WHERE id = $1", [input.id]);
    const r = await tx.query(
      `UPDATE outbound_recipients SET next_attempt_at = $2, status = 'QUEUED', updated_at = $2
       WHERE ${byMessage.rowCount ? "message_id" : "id"} = $1 AND status IN ('QUEUED', 'DEFERRED')`,
      [input.id, now],
    );
    if (!r.rowCount) throw new AppError("NOT_FOUND", `nothing to retry for ${input.id}`);
    await notifyQueue(tx);
    return r.rowCount;
  });
}

/** Drops message `id` with all its recipients, without any notification to the sender. */
export async function removeQueued(input: { id: number }): Promise<void> {
  checkId(input.id);
  const r = await getPool().query("DELETE FROM outbound_messages WHERE id = $1", [input.id]);
  if (!r.rowCount) throw new AppError("NOT_FOUND", `no queued message ${input.id}`);
}
