import { AppError, type AppErrorCode } from "../errors.ts";
import type { ResponseCode } from "./compiler.ts";
import type { ParsedCommand } from "./parser.ts";
import type { ImapSession, StateKind } from "./session.ts";

// What every commands/<name>.ts exports: the command names it answers, the states it is valid in
// (checked once before dispatch, as mox does), and the handler. A handler writes its untagged
// data through the session and returns the tagged completion; syntax errors are thrown as
// ImapParseError (BAD), user errors as AppError or ImapNo (NO [CODE]).

export interface CommandResult {
  status: "OK" | "NO" | "BAD";
  code?: ResponseCode;
  text: string;
  /** Runs once the tagged response is written (STARTTLS switches to TLS here). */
  after?: () => Promise<void>;
}

export interface CommandSpec {
  /** Uppercased, with the UID prefix where it applies: ["FETCH", "UID FETCH"]. */
  names: string[];
  states: StateKind[];
  /**
   * EXPUNGE responses may not be sent while this command runs (RFC 9051 §7.4.1: FETCH, STORE and
   * SEARCH by sequence number; the UID forms may see them).
   */
  forbidsExpunge?: boolean;
  handle(session: ImapSession, cmd: ParsedCommand): Promise<CommandResult>;
}

export const AUTHENTICATED: StateKind[] = ["authenticated", "selected"];
export const SELECTED: StateKind[] = ["selected"];
export const ANY_STATE: StateKind[] = ["not-authenticated", "authenticated", "selected"];

/** A NO answer with a response code, thrown from deep inside a handler. */
export class ImapNo extends Error {
  constructor(
    readonly code: ResponseCode | undefined,
    message: string,
  ) {
    super(message);
  }
}

export const ok = (text: string, code?: ResponseCode): CommandResult => ({ status: "OK", code, text });
export const no = (text: string, code?: ResponseCode): CommandResult => ({ status: "NO", code, text });
export const bad = (text: string, code?: ResponseCode): CommandResult => ({ status: "BAD", code, text });

const APP_ERROR_CODES: Record<AppErrorCode, ResponseCode> = {
  NOT_FOUND: "NONEXISTENT",
  ALREADY_EXISTS: "ALREADYEXISTS",
  INVALID: "CANNOT",
  FORBIDDEN: "CANNOT",
  UNAUTHORIZED: "AUTHENTICATIONFAILED",
  OVER_QUOTA: "OVERQUOTA",
  RATE_LIMITED: "LIMIT",
  CONFLICT: "INUSE",
  TEMPORARY: "UNAVAILABLE",
};

/** The NO answer for an AppError (the one mapper from lib/errors.ts codes to IMAP). */
export function resultForAppError(err: AppError): CommandResult {
  return no(err.message, APP_ERROR_CODES[err.code]);
}
