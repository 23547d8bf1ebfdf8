import { createHmac, timingSafeEqual } from "node:crypto";
import { getPool } from "../db/client.ts";
import { deriveKey } from "./secret.ts";

// The web's credential for Pigeon's own IMAP server (AUTHENTICATE OAUTHBEARER / XOAUTH2): a short-
// lived bearer token naming a web session. It is HMAC-signed with a key derived from AUTH_SECRET,
// and checked against the sessions table on every use, so ending the session (sign-out, Devices
// page, password change) ends its IMAP access at once even while the token has time left.
//
// Format: "pgi1." + base64url(JSON {s: session id, u: user id, e: expiry, unix seconds}) + "." +
// base64url(HMAC-SHA256(key, everything before the last dot)).

export const IMAP_TOKEN_TTL_SECONDS = 10 * 60;
const PREFIX = "pgi1.";
const MAX_TOKEN_LENGTH = 1024;

let key: Buffer | undefined;
function signingKey(): Buffer {
  key ??= deriveKey("imap-token");
  return key;
}

function sign(data: string): string {
  return createHmac("sha256", signingKey()).update(data).digest("base64url");
}

export function mintImapToken(input: { sessionId: string; userId: number; ttlSeconds?: number; now?: Date }): string {
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const payload = { s: input.sessionId, u: input.userId, e: now + (input.ttlSeconds ?? IMAP_TOKEN_TTL_SECONDS) };
  const body = PREFIX + Buffer.from(JSON.stringify(payload)).toString("base64url");
  return `${body}.${sign(body)}`;
}

interface TokenPayload {
  s: string;
  u: number;
  e: number;
}

/** The token's claims when its signature is good and it has not expired; no database look-up. */
export function readImapToken(token: string, now = new Date()): TokenPayload | null {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH || !token.startsWith(PREFIX)) return null;
  const dot = token.lastIndexOf(".");
  if (dot <= PREFIX.length) return null;
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(sign(body));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body.slice(PREFIX.length), "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const p = payload as Partial<TokenPayload>;
  if (typeof p.s !== "string" || !Number.isSafeInteger(p.u) || !Number.isSafeInteger(p.e)) return null;
  if (p.e! <= Math.floor(now.getTime() / 1000)) return null;
  return p as TokenPayload;
}

/**
 * Who the token speaks for, or null when it is forged, expired, names a session that was ended or
 * has expired, a disabled user, or (when `email` is given, the SASL authorization identity) another
 * user.
 */
export async function verifyImapToken(
  token: string,
  opts: { email?: string; now?: Date } = {},
): Promise<{ userId: number; email: string; sessionId: string } | null> {
  const claims = readImapToken(token, opts.now);
  if (!claims) return null;
  const r = await getPool().query<{ email: string }>(
    `SELECT u.email FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled`,
    [claims.s, claims.u],
  );
  const row = r.rows[0];
  if (!row) return null;
  if (opts.email !== undefined && opts.email.trim().toLowerCase() !== row.email) return null;
  return { userId: claims.u, email: row.email, sessionId: claims.s };
}
