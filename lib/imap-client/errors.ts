import { AppError, isAppError } from "../errors.ts";

// imapflow's failures, as the one error type the web maps to HTTP: a refused login is an ended
// session (401), a server that cannot be reached or went away is temporary (503), a NO with a
// response code (RFC 5530) says what the user got wrong.

interface ImapFlowErrorLike {
  code?: string;
  authenticationFailed?: boolean;
  serverResponseCode?: string;
  responseStatus?: string;
  responseText?: string;
  message?: string;
}

const CONNECTION_CODES = new Set([
  "NoConnection",
  "EConnectionClosed",
  "StateLogout",
  "ClosedAfterConnectText",
  "ClosedAfterConnectTLS",
  "CONNECT_TIMEOUT",
  "GREETING_TIMEOUT",
  "UPGRADE_TIMEOUT",
  "ETIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "ETIMEDOUT",
]);

export const UNREACHABLE_MESSAGE = "The mail server cannot be reached right now; try again in a moment.";
export const SESSION_ENDED_MESSAGE = "Your session has ended; sign in again.";

/** True when the connection itself failed (as opposed to a command being refused). */
export function isConnectionError(err: unknown): boolean {
  const e = err as ImapFlowErrorLike | null;
  if (!e || typeof e !== "object") return false;
  if (e.code && CONNECTION_CODES.has(e.code)) return true;
  return /connection (closed|not available)|socket (closed|hang up)|not connected/i.test(e.message ?? "");
}

export function isAuthError(err: unknown): boolean {
  const e = err as ImapFlowErrorLike | null;
  return !!e && typeof e === "object" && (e.authenticationFailed === true || e.serverResponseCode === "AUTHENTICATIONFAILED");
}

const RESPONSE_CODES: Record<string, { code: AppError["code"]; message: string }> = {
  NONEXISTENT: { code: "NOT_FOUND", message: "That folder does not exist." },
  ALREADYEXISTS: { code: "ALREADY_EXISTS", message: "A folder with that name already exists." },
  OVERQUOTA: { code: "OVER_QUOTA", message: "The mailbox is full." },
  LIMIT: { code: "INVALID", message: "That is more than the server allows at once." },
  CANNOT: { code: "FORBIDDEN", message: "The server does not allow that." },
  NOPERM: { code: "FORBIDDEN", message: "The server does not allow that." },
  INUSE: { code: "TEMPORARY", message: "The folder is busy; try again." },
  UNAVAILABLE: { code: "TEMPORARY", message: UNREACHABLE_MESSAGE },
  SERVERBUG: { code: "TEMPORARY", message: UNREACHABLE_MESSAGE },
  AUTHENTICATIONFAILED: { code: "UNAUTHORIZED", message: SESSION_ENDED_MESSAGE },
};

/** The AppError for anything thrown while talking IMAP; unknown failures are returned unchanged. */
export function toAppError(err: unknown): unknown {
  if (isAppError(err)) return err;
  if (isAuthError(err)) return new AppError("UNAUTHORIZED", SESSION_ENDED_MESSAGE);
  if (isConnectionError(err)) return new AppError("TEMPORARY", UNREACHABLE_MESSAGE);
  const e = err as ImapFlowErrorLike | null;
  if (e && typeof e === "object" && e.serverResponseCode && RESPONSE_CODES[e.serverResponseCode]) {
    const m = RESPONSE_CODES[e.serverResponseCode];
    return new AppError(m.code, m.message);
  }
  return err;
}
