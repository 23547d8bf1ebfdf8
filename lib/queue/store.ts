import type pg from "pg";
import { getPool, withTransaction } from "../db/client.ts";

// The queue's rows: outbound_messages (one per message) and outbound_recipients (one per
// recipient, each with its own status, attempts and lease). Work is claimed with
// FOR UPDATE SKIP LOCKED and a lease (locked_until): a claimed recipient is invisible to other
// relays until its outcome is recorded or its lease runs out (the relay died).

/** Postgres channel that enqueue NOTIFYs so relays start at once instead of at the next poll. */
export const QUEUE_CHANNEL = "pigeon_queue";

export type RecipientStatus = "QUEUED" | "DEFERRED" | "DELIVERED" | "BOUNCED";

/** A recipient this process holds the lease of, with what it needs from its message. */
export interface ClaimedRecipient {
  id: number;
  messageId: number;
  address: string;
  domain: string;
  /** Attempts including the current one. */
  attempts: number;
  /** The previous holder's lease ran out without an outcome: it may have delivered already. */
  abandoned: boolean;
  delayNotifiedAt: Date | null;
  sender: string;
  blobHash: string;
  userId: number | null;
  source: string;
  createdAt: Date;
  expiresAt: Date;
}

interface Queryable {
  query: pg.Pool["query"];
}

export interface NewRecipient {
  address: string;
  domain: string;
  /** Leased to the caller from the start (it delivers this one itself right after commit). */
  leaseUntil?: Date | null;
}

/** Inserts a message and its recipients inside the caller's transaction. */
export async function insertOutboundMessage(
  tx: pg.PoolClient,
  input: {
    userId: number | null;
    sender: string;
    blobHash: string;
    source: string;
    sendAt: Date;
    expiresAt: Date;
    createdAt: Date;
    recipients: NewRecipient[];
  },
): Promise<{ messageId: number; recipients: { id: number; address: string; domain: string; leased: boolean }[] }> {
  const m = await tx.query<{ id: number }>(
    `INSERT INTO outbound_messages (user_id, sender, blob_hash, source, send_at, expires_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [input.userId, input.sender, input.blobHash, input.source, input.sendAt, input.expiresAt, input.createdAt],
  );
  const messageId = m.rows[0].id;
  const leased = input.recipients.map((r) => r.leaseUntil ?? null);
  const r = await tx.query<{ id: number; address: string; domain: string; locked_until: Date | null }>(
    `INSERT INTO outbound_recipients (message_id, address, domain, next_attempt_at, locked_until, attempts, updated_at)
     SELECT $1, a, d, $5, l, CASE WHEN l IS NULL THEN 0 ELSE 1 END, $6
     FROM unnest($2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS u(a, d, l, n) ORDER BY n
     RETURNING id, address, domain, locked_until`,
    [
      messageId,
      input.recipients.map((x) => x.address),
      input.recipients.map((x) => x.domain),
      leased,
      input.sendAt,
      input.createdAt,
    ],
  );
  return {
    messageId,
    recipients: r.rows
      .sort((a, b) => a.id - b.id)
      .map((x) => ({ id: x.id, address: x.address, domain: x.domain, leased: x.locked_until !== null })),
  };
}

export async function notifyQueue(tx: Queryable): Promise<void> {
  await tx.query("SELECT pg_notify($1, '')", [QUEUE_CHANNEL]);
}

const DUE = `r.status IN ('QUEUED', 'DEFERRED') AND r.next_attempt_at <= $1
  AND (r.locked_until IS NULL OR r.locked_until <= $1)`;

/**
 * Leases up to `limit` due recipients (and the other due recipients of the same message and
 * domain, so they go out in one SMTP transaction) until now + leaseMs, counting the attempt.
 */
export async function claimDueRecipients(input: { now: Date; limit: number; leaseMs: number }): Promise<ClaimedRecipient[]> {
  const { now, limit, leaseMs } = input;
  return withTransaction(async (tx) => {
    // One ordered index scan per pending status on (status, next_attempt_at), which stops after
    // `limit` rows however long the queue is (an IN list over both statuses would sort it all).
    // A recipient's next_attempt_at starts at its message's send_at, so scheduled mail waits too.
    const candidates: { id: number; message_id: number; domain: string; abandoned: boolean; next_attempt_at: Date }[] = [];
    for (const status of ["QUEUED", "DEFERRED"]) {
      const r = await tx.query<(typeof candidates)[number]>(
        `SELECT r.id, r.message_id, r.domain, r.locked_until IS NOT NULL AS abandoned, r.next_attempt_at
         FROM outbound_recipients r
         WHERE r.status = $3 AND r.next_attempt_at <= $1 AND (r.locked_until IS NULL OR r.locked_until <= $1)
         ORDER BY r.next_attempt_at LIMIT $2
         FOR UPDATE SKIP LOCKED`,
        [now, limit, status],
      );
      candidates.push(...r.rows);
    }
    // The most overdue first; rows locked here but not taken are released at commit.
    const seeds = candidates.sort((a, b) => a.next_attempt_at.getTime() - b.next_attempt_at.getTime() || a.id - b.id).slice(0, limit);
    if (seeds.length === 0) return [];
    const abandoned = new Map(seeds.map((s) => [s.id, s.abandoned]));
    const siblings = await tx.query<{ id: number; abandoned: boolean }>(
      `SELECT r.id, r.locked_until IS NOT NULL AS abandoned FROM outbound_recipients r
       WHERE (r.message_id, r.domain) IN (SELECT * FROM unnest($2::bigint[], $3::text[]))
         AND r.id <> ALL($4::bigint[]) AND ${DUE}
       FOR UPDATE SKIP LOCKED`,
      [now, seeds.map((s) => s.message_id), seeds.map((s) => s.domain), seeds.map((s) => s.id)],
    );
    for (const s of siblings.rows) abandoned.set(s.id, s.abandoned);
    const claimed = await tx.query<{
      id: number;
      message_id: number;
      address: string;
      domain: string;
      attempts: number;
      delay_notified_at: Date | null;
      sender: string;
      blob_hash: string;
      user_id: number | null;
      source: string;
      created_at: Date;
      expires_at: Date;
    }>(
      `UPDATE outbound_recipients r SET locked_until = $2, attempts = r.attempts + 1, updated_at = $3
       FROM outbound_messages m
       WHERE r.id = ANY($1::bigint[]) AND m.id = r.message_id
       RETURNING r.id, r.message_id, r.address, r.domain, r.attempts, r.delay_notified_at,
         m.sender, m.blob_hash, m.user_id, m.source, m.created_at, m.expires_at`,
      [[...abandoned.keys()], new Date(now.getTime() + leaseMs), now],
    );
    return claimed.rows
      .map((c) => ({
        id: c.id,
        messageId: c.message_id,
        address: c.address,
        domain: c.domain,
        attempts: c.attempts,
        abandoned: abandoned.get(c.id) ?? false,
        delayNotifiedAt: c.delay_notified_at,
        sender: c.sender,
        blobHash: c.blob_hash,
        userId: c.user_id,
        source: c.source,
        createdAt: c.created_at,
        expiresAt: c.expires_at,
      }))
      .sort((a, b) => a.id - b.id);
  });
}

/** Extends the leases of recipients still being worked on (a slow remote must not lose them). */
export async function renewLeases(ids: number[], until: Date): Promise<void> {
  if (ids.length === 0) return;
  await getPool().query(
    `UPDATE outbound_recipients SET locked_until = $2
     WHERE id = ANY($1::bigint[]) AND status IN ('QUEUED', 'DEFERRED') AND locked_until IS NOT NULL`,
    [ids, until],
  );
}

export interface RecipientUpdate {
  id: number;
  status: RecipientStatus;
  remoteReply: string | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  delayNotifiedAt: Date | null;
}

/**
 * Records outcomes and releases the leases, in the caller's transaction. Only recipients still
 * pending are changed (one removed from the queue meanwhile stays removed); returns their ids.
 */
export async function updateRecipients(tx: pg.PoolClient, updates: RecipientUpdate[], now: Date): Promise<Set<number>> {
  if (updates.length === 0) return new Set();
  const r = await tx.query<{ id: number }>(
    `UPDATE outbound_recipients r SET status = u.status::"RecipientStatus", remote_reply = u.reply, last_error = u.error,
       next_attempt_at = COALESCE(u.next_at, r.next_attempt_at),
       delay_notified_at = COALESCE(r.delay_notified_at, u.delay_at),
       locked_until = NULL, updated_at = $7
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])
       AS u(id, status, reply, error, next_at, delay_at)
     WHERE r.id = u.id AND r.status IN ('QUEUED', 'DEFERRED')
     RETURNING r.id`,
    [
      updates.map((u) => u.id),
      updates.map((u) => u.status),
      updates.map((u) => u.remoteReply),
      updates.map((u) => u.lastError),
      updates.map((u) => u.nextAttemptAt),
      updates.map((u) => u.delayNotifiedAt),
      now,
    ],
  );
  return new Set(r.rows.map((x) => x.id));
}

/** The queued message's bytes. */
export async function readQueuedBlob(hash: string): Promise<Buffer | null> {
  const r = await getPool().query<{ data: Buffer }>("SELECT data FROM blobs WHERE hash = $1", [hash]);
  return r.rowCount ? r.rows[0].data : null;
}

/** Users among `userIds` whose INBOX already holds the blob (a delivery whose outcome was lost). */
export async function usersHoldingBlob(hash: string, userIds: number[]): Promise<Set<number>> {
  if (userIds.length === 0) return new Set();
  const r = await getPool().query<{ user_id: number }>(
    `SELECT DISTINCT m.user_id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
     WHERE m.blob_hash = $1 AND m.user_id = ANY($2::int[]) AND b.name = 'INBOX'`,
    [hash, userIds],
  );
  return new Set(r.rows.map((x) => x.user_id));
}
