import type { SMTPServerError, SMTPServerSession } from "smtp-server";
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js";
import { isAppError } from "../errors.ts";

// SMTP replies: the error type handlers return, the mapping of Pigeon's errors to replies, and the
// two things smtp-server has no option for, done where every reply passes (`send`):
//
// 1. Enhanced status codes of our choosing (RFC 3463). smtp-server derives the code from the
//    basic reply code alone (554 → 5.6.0, 550 → 5.1.1), but a relay refusal is 554 5.7.1 and a
//    DMARC refusal 550 5.7.1. A reply whose text already starts with a matching enhanced code is
//    sent as written.
// 2. Limits on the replies of one connection: all replies (commands) and error replies (4xx/5xx).
//    Past either, the client gets 421 4.7.0 and the connection is closed (RFC 5321 §3.8).

const ENHANCED = /^([245])\.\d{1,3}\.\d{1,3} /;

/** A handler error that becomes the reply `code enhanced text`. */
export function smtpReply(code: number, enhanced: string, text: string): SMTPServerError {
  const err: SMTPServerError = new Error(`${enhanced} ${text}`);
  err.responseCode = code;
  return err;
}

/** Maps an error thrown while taking a message in; anything unexpected is a 451 (and logged by the caller). */
export function replyForError(err: unknown): { reply: SMTPServerError; expected: boolean } {
  if (isAppError(err, "OVER_QUOTA")) {
    return { reply: smtpReply(452, "4.2.2", "Mailbox full, try again later"), expected: true };
  }
  return { reply: smtpReply(451, "4.3.0", "Local error in processing, try again later"), expected: false };
}

export interface ReplyLimits {
  maxCommands: number;
  maxErrors: number;
}

interface ReplyCounter extends ReplyLimits {
  replies: number;
  errors: number;
  closed: boolean;
}

const counters = new WeakMap<SMTPServerSession, ReplyCounter>();

/** Counts this session's replies from now on against `limits`. */
export function limitReplies(session: SMTPServerSession, limits: ReplyLimits): void {
  counters.set(session, { ...limits, replies: 0, errors: 0, closed: false });
}

type Send = (code: number, data?: string | string[] | null, context?: string | false) => void;
const PATCHED = Symbol.for("pigeon.smtp-server.send");

export function installReplyHandling(): void {
  const proto = SMTPConnection.prototype as unknown as { send: Send; session: SMTPServerSession; [PATCHED]?: boolean };
  if (proto[PATCHED]) return;
  const original = proto.send;
  proto.send = function (this: { session: SMTPServerSession }, code, data, context) {
    const m = typeof data === "string" && context === undefined ? ENHANCED.exec(data) : null;
    original.call(this, code, data, m && m[1] === String(code)[0] ? false : context);

    const counter = counters.get(this.session);
    // The greeting and STARTTLS's 220, 3xx intermediate replies and 421 itself are not counted.
    if (!counter || counter.closed || code === 220 || code === 421 || (code >= 300 && code < 400)) return;
    counter.replies++;
    if (code >= 400) counter.errors++;
    let reason: string | undefined;
    if (counter.errors > counter.maxErrors) reason = "Too many errors";
    else if (counter.replies > counter.maxCommands) reason = "Too many commands";
    if (reason) {
      counter.closed = true;
      // A 421 makes smtp-server close the connection and drop whatever was pipelined after it.
      original.call(this, 421, `4.7.0 ${reason} on this connection, closing`, false);
    }
  };
  proto[PATCHED] = true;
}
