// When the queue tries again, when it gives up, and when it warns the sender.

/** Minutes to wait after the 1st, 2nd, … failed attempt; every 4 hours after the last. */
export const RETRY_DELAYS_MINUTES = [1, 5, 15, 30, 60, 120] as const;
export const LATER_RETRY_MINUTES = 240;

/** A delay notice (RFC 3464 Action: delayed) goes out once mail has waited this long. */
export const DELAY_NOTICE_AFTER_MS = 4 * 60 * 60 * 1000;

/** RFC 5321 §6.3: a message that has passed this many hops is in a loop. */
export const MAX_RECEIVED_HEADERS = 30;

/** RFC 5321 §4.5.3.1.8: servers take at least 100 recipients per transaction. */
export const MAX_RECIPIENTS_PER_TRANSACTION = 100;

export function retryDelayMs(failedAttempts: number): number {
  const i = Math.max(1, failedAttempts) - 1;
  const minutes = i < RETRY_DELAYS_MINUTES.length ? RETRY_DELAYS_MINUTES[i] : LATER_RETRY_MINUTES;
  return minutes * 60_000;
}

/** The next attempt after `failedAttempts` failures, never past the expiry (one last try then). */
export function nextAttemptAt(now: Date, failedAttempts: number, expiresAt: Date): Date {
  const next = now.getTime() + retryDelayMs(failedAttempts);
  return new Date(Math.min(next, Math.max(expiresAt.getTime(), now.getTime())));
}

/** Counts Received header fields in the header section (RFC 5321 §6.3 loop detection). */
export function countReceivedHeaders(raw: Buffer): number {
  let end = raw.indexOf("\r\n\r\n");
  if (end < 0) end = raw.length;
  const head = raw.subarray(0, end).toString("latin1");
  return (head.match(/(?:^|\n)received[ \t]*:/gi) ?? []).length;
}
