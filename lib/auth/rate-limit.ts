import { isIP } from "node:net";
import type pg from "pg";
import { getPool } from "../db/client.ts";

// The one failed-login limiter of the web, IMAP, POP3 and SMTP submission. Counters live in
// Postgres (rate_limits), so every process on every machine sees the same numbers.
//
// Two rules:
// - per client address: the 11th failed login within a minute (from the first failure) is
//   refused, whatever the account or protocol, until that minute is over;
// - per account, however many addresses the attempts come from: after 10 failures within 15
//   minutes, attempts are spaced out — each one waits for its turn, the gap doubling with every
//   further failure (1 s, 2 s, 4 s … 16 s), and an attempt whose turn is over 30 s away is refused.
//   The owner is slowed too while an attack lasts, but never locked out.
//
// Attempts in flight are counted apart from failures: many correct logins at once from one
// address (an office behind NAT, a client opening several connections) all go through, while a
// parallel flood is still bounded (failures + attempts in flight ≤ ipMaxFailures + ipMaxInFlight).
//
// Rows: `login-ip:<address>` (failures, window_start = first failure), `login-ipf:<address>`
// (attempts in flight), `login-account:<email>` (failures in the window), `login-turn:<email>`
// (window_start = when the next spaced-out attempt may run).

export const LOGIN_LIMITS = {
  ipWindowSeconds: 60,
  ipMaxFailures: 10,
  ipMaxInFlight: 40,
  accountWindowSeconds: 15 * 60,
  accountFreeFailures: 10,
  accountBaseDelayMs: 1000,
  accountMaxDelayMs: 16_000,
  accountMaxWaitMs: 30_000,
} as const;

export interface Queryable {
  query: pg.Pool["query"];
}

export interface LoginAttempt {
  /** Client address as the socket (or the nearest proxy) saw it; "" when unknown. */
  ip: string;
  /** The login name as typed (an email address); normalised here. */
  account: string;
}

export type LoginOutcome = "success" | "failure" | "neutral";

export type LoginGate =
  | {
      allowed: true;
      /** How long this attempt waited for its turn (account rule). */
      waitedMs: number;
      /**
       * Records the result: "failure" for wrong credentials (counts against address and account),
       * "success" or "neutral" (nothing was disproved: a disabled account, a missing second factor)
       * give the address its attempt back.
       */
      finish(outcome: LoginOutcome): Promise<void>;
    }
  | { allowed: false; scope: "ip" | "account"; retryAfterSeconds: number; message: string };

export interface GateOptions {
  db?: Queryable;
  /** Waits for the account rule's turn; replaceable in tests. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Client address as a limiter key: IPv4-mapped IPv6 becomes IPv4, other IPv6 addresses count by
 * their /64 (one customer's network), anything unparseable is kept as given.
 */
export function normalizeIp(ip: string): string {
  let a = ip.trim().toLowerCase();
  if (a.startsWith("[") && a.includes("]")) a = a.slice(1, a.indexOf("]"));
  const zone = a.indexOf("%");
  if (zone >= 0) a = a.slice(0, zone);
  if (a.startsWith("::ffff:") && isIP(a.slice(7)) === 4) return a.slice(7);
  if (isIP(a) !== 6) return a;
  return expandIpv6(a).slice(0, 4).join(":") + "::/64";
}

function expandIpv6(a: string): string[] {
  let text = a;
  // A trailing dotted quad (::1.2.3.4) becomes two hextets.
  const v4 = text.match(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (v4) {
    const [b1, b2, b3, b4] = v4.slice(1).map(Number);
    text = text.slice(0, -v4[0].length) + `${((b1 << 8) | b2).toString(16)}:${((b3 << 8) | b4).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((h) => (parseInt(h, 16) || 0).toString(16));
}

export function normalizeAccount(account: string): string {
  return account.trim().toLowerCase().slice(0, 320);
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Adds one to `key`'s counter, starting a new window when the last one is over. */
async function bump(db: Queryable, key: string, windowSeconds: number): Promise<{ count: number; resetInMs: number }> {
  const r = await db.query<{ count: number; reset_in_ms: number }>(
    `INSERT INTO rate_limits AS r (key, count, window_start) VALUES ($1, 1, now())
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN r.window_start <= now() - make_interval(secs => $2::float8) THEN 1 ELSE r.count + 1 END,
       window_start = CASE WHEN r.window_start <= now() - make_interval(secs => $2::float8) THEN now() ELSE r.window_start END
     RETURNING r.count, (extract(epoch FROM r.window_start + make_interval(secs => $2::float8) - now()) * 1000)::float8 AS reset_in_ms`,
    [key, windowSeconds],
  );
  return { count: r.rows[0].count, resetInMs: Math.max(0, r.rows[0].reset_in_ms) };
}

async function unbump(db: Queryable, key: string): Promise<void> {
  await db.query("UPDATE rate_limits SET count = greatest(count - 1, 0) WHERE key = $1", [key]);
}

async function currentCount(db: Queryable, key: string, windowSeconds: number): Promise<number> {
  const r = await db.query<{ count: number }>(
    "SELECT count FROM rate_limits WHERE key = $1 AND window_start > now() - make_interval(secs => $2::float8)",
    [key, windowSeconds],
  );
  return r.rows[0]?.count ?? 0;
}

/** The gap between two attempts on an account that has had `failures` failures in the window. */
export function accountDelayMs(failures: number): number {
  const over = failures - LOGIN_LIMITS.accountFreeFailures;
  if (over < 0) return 0;
  return Math.min(LOGIN_LIMITS.accountBaseDelayMs * 2 ** over, LOGIN_LIMITS.accountMaxDelayMs);
}

/**
 * Takes this attempt's turn on the account: the turn starts at max(now, next free turn), and the
 * next free turn moves `delayMs` later. Refused (null) when the turn is more than the maximum wait
 * away; a refused attempt takes no turn, so a flood cannot push the owner's turn back.
 */
async function takeTurn(db: Queryable, key: string, delayMs: number): Promise<{ waitMs: number } | null> {
  const r = await db.query<{ wait_ms: number }>(
    `INSERT INTO rate_limits AS r (key, count, window_start) VALUES ($1, 1, now() + make_interval(secs => $2::float8 / 1000))
     ON CONFLICT (key) DO UPDATE SET
       count = r.count + 1,
       window_start = greatest(r.window_start, now()) + make_interval(secs => $2::float8 / 1000)
     WHERE r.window_start <= now() + make_interval(secs => $3::float8 / 1000)
     RETURNING (extract(epoch FROM r.window_start - now()) * 1000 - $2::float8)::float8 AS wait_ms`,
    [key, delayMs, LOGIN_LIMITS.accountMaxWaitMs],
  );
  if (r.rowCount === 0) return null;
  return { waitMs: Math.max(0, r.rows[0].wait_ms) };
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * Opens the gate for one login attempt: refuses it when the address is over its limit or the
 * account's queue is full, otherwise waits for the account's turn (if any) and lets it through.
 * Call `finish` with the outcome once the credentials have been checked.
 */
export async function openLoginGate(attempt: LoginAttempt, opts: GateOptions = {}): Promise<LoginGate> {
  const db = opts.db ?? getPool();
  const ip = attempt.ip ? normalizeIp(attempt.ip) : "";
  const account = normalizeAccount(attempt.account);
  const ipKey = ip ? `login-ip:${ip}` : undefined;

  if (Math.random() < 0.01) void pruneLoginLimits({ db }).catch(() => undefined);

  // Failures so far, then reserve a slot in flight (counted before anything is checked, so that
  // a parallel flood cannot slip under the limit); every outcome gives the slot back.
  const inFlightKey = ip ? `login-ipf:${ip}` : undefined;
  if (ipKey && inFlightKey) {
    const failures = await currentCount(db, ipKey, LOGIN_LIMITS.ipWindowSeconds);
    const refuse = async () => {
      const r = await db.query<{ reset_in_ms: number }>(
        `SELECT (extract(epoch FROM window_start + make_interval(secs => $2::float8) - now()) * 1000)::float8 AS reset_in_ms
         FROM rate_limits WHERE key = $1`,
        [ipKey, LOGIN_LIMITS.ipWindowSeconds],
      );
      const retryAfterSeconds = seconds(r.rows[0]?.reset_in_ms ?? LOGIN_LIMITS.ipWindowSeconds * 1000);
      return {
        allowed: false as const,
        scope: "ip" as const,
        retryAfterSeconds,
        message: `Too many failed logins from your address. Try again in ${retryAfterSeconds} s.`,
      };
    };
    if (failures >= LOGIN_LIMITS.ipMaxFailures) return refuse();
    const { count: inFlight } = await bump(db, inFlightKey, LOGIN_LIMITS.ipWindowSeconds);
    if (failures + inFlight > LOGIN_LIMITS.ipMaxFailures + LOGIN_LIMITS.ipMaxInFlight) {
      await unbump(db, inFlightKey);
      return refuse();
    }
  }

  let waitedMs = 0;
  const failures = account ? await currentCount(db, `login-account:${account}`, LOGIN_LIMITS.accountWindowSeconds) : 0;
  const delayMs = accountDelayMs(failures);
  if (delayMs > 0) {
    const turn = await takeTurn(db, `login-turn:${account}`, delayMs);
    if (!turn) {
      if (inFlightKey) await unbump(db, inFlightKey);
      const retryAfterSeconds = seconds(LOGIN_LIMITS.accountMaxWaitMs);
      return {
        allowed: false,
        scope: "account",
        retryAfterSeconds,
        message: `Too many failed logins for this account. Try again in ${retryAfterSeconds} s.`,
      };
    }
    if (turn.waitMs > 0) {
      await (opts.sleep ?? sleepFor)(turn.waitMs);
      waitedMs = turn.waitMs;
    }
  }

  let finished = false;
  return {
    allowed: true,
    waitedMs,
    async finish(outcome) {
      if (finished) return;
      finished = true;
      if (inFlightKey) await unbump(db, inFlightKey);
      if (outcome === "failure") {
        if (ipKey) await bump(db, ipKey, LOGIN_LIMITS.ipWindowSeconds);
        if (account) await bump(db, `login-account:${account}`, LOGIN_LIMITS.accountWindowSeconds);
      }
    },
  };
}

/** Forgets the counters of an address and/or an account (an administrator's "unblock"). */
export async function resetLoginLimits(input: { ip?: string; account?: string; db?: Queryable }): Promise<void> {
  const db = input.db ?? getPool();
  const keys: string[] = [];
  if (input.ip) keys.push(`login-ip:${normalizeIp(input.ip)}`, `login-ipf:${normalizeIp(input.ip)}`);
  if (input.account) {
    const a = normalizeAccount(input.account);
    keys.push(`login-account:${a}`, `login-turn:${a}`);
  }
  if (keys.length) await db.query("DELETE FROM rate_limits WHERE key = ANY($1)", [keys]);
}

/** Deletes login counters whose windows ended long ago. */
export async function pruneLoginLimits(input: { db?: Queryable } = {}): Promise<number> {
  const db = input.db ?? getPool();
  const r = await db.query(
    `DELETE FROM rate_limits WHERE key LIKE 'login-%' AND window_start < now() - make_interval(secs => $1::float8)`,
    [LOGIN_LIMITS.accountWindowSeconds + 60],
  );
  return r.rowCount ?? 0;
}
