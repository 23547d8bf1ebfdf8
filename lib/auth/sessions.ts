import { createHash, randomBytes } from "node:crypto";
import { getDb, getPool } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { describeUserAgent } from "./user-agent.ts";

// Web sessions, one row per sign-in (a "device"). The browser holds a random token inside its
// (encrypted) session cookie; the row's id is the token's sha256, so the table alone cannot be
// replayed. Every request re-reads the row: revoking it signs that device out at its next request.

export const SESSION_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;
/** last_seen_at is written at most this often per session. */
const TOUCH_INTERVAL_SECONDS = 60;

export function hashSessionToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A fresh session for a successful sign-in. Never reuses anything the browser sent. */
export async function createSession(input: { userId: number; userAgent?: string | null; ip?: string | null }) {
  const token = randomBytes(32).toString("base64url");
  const id = hashSessionToken(token);
  const expiresAt = new Date(Date.now() + SESSION_MAX_AGE_SECONDS * 1000);
  await getDb().session.create({
    data: {
      id,
      userId: input.userId,
      userAgent: (input.userAgent ?? "").slice(0, 512),
      ip: (input.ip ?? "").slice(0, 64),
      expiresAt,
    },
    select: { id: true },
  });
  return { id, token, expiresAt };
}

export interface ActiveSession {
  sessionId: string;
  userId: number;
  email: string;
  role: "ADMIN" | "DOMAIN_ADMIN" | "USER";
}

/**
 * The session and its user when the session is still good (not revoked, not expired, user not
 * disabled), else null. Notes the visit in last_seen_at (at most once a minute).
 */
export async function validateSession(input: { sessionId: string }): Promise<ActiveSession | null> {
  const r = await getPool().query<{ user_id: number; email: string; role: ActiveSession["role"] }>(
    `WITH touched AS (
       UPDATE sessions SET last_seen_at = now()
        WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()
          AND last_seen_at < now() - make_interval(secs => $2::float8)
     )
     SELECT s.user_id, u.email, u.role
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled`,
    [input.sessionId, TOUCH_INTERVAL_SECONDS],
  );
  const row = r.rows[0];
  if (!row) return null;
  return { sessionId: input.sessionId, userId: row.user_id, email: row.email, role: row.role };
}

export interface DeviceSession {
  id: string;
  browser: string;
  os: string;
  userAgent: string;
  ip: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  current: boolean;
}

/** The user's active sessions, most recently used first. */
export async function listSessions(input: { userId: number; currentSessionId?: string }): Promise<DeviceSession[]> {
  const rows = await getDb().session.findMany({
    where: { userId: input.userId, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { lastSeenAt: "desc" },
    select: { id: true, userAgent: true, ip: true, createdAt: true, lastSeenAt: true, expiresAt: true },
  });
  return rows.map((s) => ({ ...s, ...describeUserAgent(s.userAgent), current: s.id === input.currentSessionId }));
}

/** Ends one of the user's sessions. */
export async function revokeSession(input: { userId: number; sessionId: string }): Promise<void> {
  const r = await getDb().session.updateMany({
    where: { id: input.sessionId, userId: input.userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (r.count === 0) throw new AppError("NOT_FOUND", "no such active session");
}

/** Ends every session of the user but `keepSessionId`; returns how many ended. */
export async function revokeOtherSessions(input: { userId: number; keepSessionId: string }): Promise<number> {
  const r = await getDb().session.updateMany({
    where: { userId: input.userId, revokedAt: null, id: { not: input.keepSessionId } },
    data: { revokedAt: new Date() },
  });
  return r.count;
}

/** Ends every session of the user. */
export async function revokeAllSessions(input: { userId: number }): Promise<number> {
  const r = await getDb().session.updateMany({
    where: { userId: input.userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return r.count;
}

/** Ends the session behind a token (sign-out); a no-op when it is already over. */
export async function revokeSessionByToken(input: { token: string }): Promise<void> {
  await getDb().session.updateMany({
    where: { id: hashSessionToken(input.token), revokedAt: null },
    data: { revokedAt: new Date() },
  });
}
