import { getPool } from "../db/client.ts";

// How many recipients one user may send to per window (an hour by default), counted in Postgres
// (rate_limits, key `send:<userId>`) so that every SMTP process shares the count. The window is
// fixed and starts with the first recipient after the previous one ended. A message is counted
// when it is taken (reserveSending, before it is queued) and given back if queueing fails.

export interface SendingLimit {
  recipients: number;
  windowSeconds: number;
}

export const DEFAULT_SENDING_LIMIT: SendingLimit = { recipients: 1000, windowSeconds: 3600 };

const keyFor = (userId: number) => `send:${userId}`;

/** Recipients counted in the current window, and how long until it ends. */
export async function getSendingUsage(input: { userId: number; limit: SendingLimit }): Promise<{ used: number; resetInSeconds: number }> {
  const r = await getPool().query<{ count: number; reset_in_s: number }>(
    `SELECT count, extract(epoch FROM window_start + make_interval(secs => $2::float8) - now())::float8 AS reset_in_s
     FROM rate_limits WHERE key = $1 AND window_start > now() - make_interval(secs => $2::float8)`,
    [keyFor(input.userId), input.limit.windowSeconds],
  );
  const row = r.rows[0];
  return row ? { used: row.count, resetInSeconds: Math.max(1, Math.ceil(row.reset_in_s)) } : { used: 0, resetInSeconds: input.limit.windowSeconds };
}

/**
 * Counts `recipients` against the user's window if they fit (atomically: parallel sessions of one
 * user cannot together pass the limit). Refused: nothing is counted.
 */
export async function reserveSending(input: {
  userId: number;
  recipients: number;
  limit: SendingLimit;
}): Promise<{ ok: true } | { ok: false; used: number; resetInSeconds: number }> {
  const { userId, recipients, limit } = input;
  if (recipients <= limit.recipients) {
    const r = await getPool().query(
      `INSERT INTO rate_limits AS r (key, count, window_start) VALUES ($1, $2, now())
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN r.window_start <= now() - make_interval(secs => $4::float8) THEN $2 ELSE r.count + $2 END,
         window_start = CASE WHEN r.window_start <= now() - make_interval(secs => $4::float8) THEN now() ELSE r.window_start END
       WHERE r.window_start <= now() - make_interval(secs => $4::float8) OR r.count + $2 <= $3
       RETURNING r.count`,
      [keyFor(userId), recipients, limit.recipients, limit.windowSeconds],
    );
    if (r.rowCount) return { ok: true };
  }
  return { ok: false, ...(await getSendingUsage({ userId, limit })) };
}

/** Gives back what reserveSending counted for a message that was not queued after all. */
export async function releaseSending(input: { userId: number; recipients: number }): Promise<void> {
  await getPool().query("UPDATE rate_limits SET count = greatest(count - $2, 0) WHERE key = $1", [keyFor(input.userId), input.recipients]);
}
