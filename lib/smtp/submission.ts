import type { Readable } from "node:stream";
import { domainToASCII } from "node:url";
import { smtpServerHandle, type SmtpServerHandle } from "./server-handle.ts";
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerAuthentication,
  type SMTPServerAuthenticationResponse,
  type SMTPServerError,
  type SMTPServerSession,
} from "smtp-server";
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js";
import { parseAddress } from "../accounts/addresses.ts";
import { resolveRecipient } from "../accounts/resolve-recipient.ts";
import { verifyMailLogin } from "../auth/mail-login.ts";
import type { Config } from "../config.ts";
import { isAppError } from "../errors.ts";
import { createQueueContext, type QueueContext } from "../queue/context.ts";
import { enqueueMessage, type EnqueueResult } from "../queue/enqueue.ts";
import type { TlsMaterial } from "../tls.ts";
import { readSmtpData } from "./data-reader.ts";
import { installReplyHandling, limitReplies, smtpReply } from "./replies.ts";
import { isOwnedAddress, ownedAddresses } from "./submission-identity.ts";
import { checkHeaderSenders, completeSubmittedMessage } from "./submission-message.ts";
import { DEFAULT_SENDING_LIMIT, getSendingUsage, releaseSending, reserveSending, type SendingLimit } from "./submission-rate-limit.ts";
import { buildReceivedHeader } from "./trace-headers.ts";

// Message submission (RFC 6409) on SUBMISSION_PORT with STARTTLS and on SMTPS_PORT with implicit
// TLS (RFC 8314). No AUTH before TLS (RFC 8314 §3.3; DESIGN.md), AUTH PLAIN/LOGIN through the
// shared mail login (account password or app password, one failed-login limiter), MAIL only
// after AUTH, envelope sender and From: restricted to the user's own addresses, a per-user
// sending limit, and 250 only once enqueueMessage has committed the message to the queue.

export interface SubmissionLimits {
  maxClients: number;
  maxConnectionsPerIp: number;
  /** RCPTs per transaction; past it: 452 4.5.3 (RFC 5321 §4.5.3.1.8 asks for at least 100). */
  maxRecipients: number;
  /** Replies one connection may get before 421 4.7.0. */
  maxCommands: number;
  /** 4xx/5xx replies one connection may get before 421 4.7.0 (guessing passwords, harvesting). */
  maxErrors: number;
  idleTimeoutMs: number;
  /** Recipients per user and window, shared by every submission process. */
  sending: SendingLimit;
}

export const DEFAULT_SUBMISSION_LIMITS: SubmissionLimits = {
  maxClients: 1000,
  maxConnectionsPerIp: 20,
  maxRecipients: 100,
  maxCommands: 10_000,
  maxErrors: 20,
  idleTimeoutMs: 5 * 60_000,
  sending: DEFAULT_SENDING_LIMIT,
};

export interface SubmissionServerOptions {
  config: Config;
  tls: Pick<TlsMaterial, "cert" | "key">;
  /** true: TLS from the first byte (SMTPS_PORT); false: STARTTLS, required before AUTH (SUBMISSION_PORT). */
  implicitTls: boolean;
  limits?: Partial<SubmissionLimits>;
  /** How long close() lets open sessions finish before answering them 421. */
  closeTimeoutMs?: number;
  /** One line per message taken or refused; console.log by default. */
  log?: (line: string) => void;
  /** The queue's surroundings (clock, DNS, log) for enqueueMessage; built from `config` by default. */
  queue?: QueueContext;
}

export type SubmissionServer = SmtpServerHandle;

/** What onAuth stores as session.user. */
interface SubmissionUser {
  id: number;
  email: string;
}

interface ConnectionState {
  ip: string;
  /** The user's addresses, looked up at MAIL FROM and used again for the From: header. */
  owned?: Set<string>;
  /** Recipients the user had sent to in the current window at MAIL FROM. */
  usedAtMail: number;
}

// Sessions of a STARTTLS port that have not started TLS. AUTH is disabled for them (so EHLO does
// not offer it); smtp-server would answer AUTH with "500 command not recognized", which is
// turned into the 530 5.7.0 of RFC 3207 §4 here, where every reply passes.
const awaitingTls = new WeakSet<SMTPServerSession>();
const PATCHED = Symbol.for("pigeon.smtp-server.submission-send");
type Send = (code: number, data?: string | string[] | null, context?: string | false) => void;

function installAuthBeforeTlsReply(): void {
  installReplyHandling();
  const proto = SMTPConnection.prototype as unknown as { send: Send; [PATCHED]?: boolean };
  if (proto[PATCHED]) return;
  const send = proto.send;
  proto.send = function (this: { session: SMTPServerSession }, code, data, context) {
    if (code === 500 && context === "AUTH" && awaitingTls.has(this.session)) {
      return send.call(this, 530, "5.7.0 Must issue a STARTTLS command first");
    }
    return send.call(this, code, data, context);
  };
  proto[PATCHED] = true;
}

/** `local@domain` with an IDN domain in A-labels (smtp-server hands domains over in Unicode). */
function toAsciiAddress(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 0) return address;
  const domain = address.slice(at + 1);
  if (/^[\x20-\x7e]*$/.test(domain)) return address;
  const ascii = domainToASCII(domain);
  return ascii ? `${address.slice(0, at)}@${ascii}` : address;
}

const sessionUser = (session: SMTPServerSession): SubmissionUser | undefined => (session.user as SubmissionUser | undefined) || undefined;

function isReply(err: unknown): err is SMTPServerError {
  return err instanceof Error && typeof (err as SMTPServerError).responseCode === "number";
}

function minutes(seconds: number): string {
  const m = Math.ceil(seconds / 60);
  return m <= 1 ? "a minute" : `${m} minutes`;
}

export function createSubmissionServer(opts: SubmissionServerOptions): SubmissionServer {
  installAuthBeforeTlsReply();
  const { config } = opts;
  const limits: SubmissionLimits = { ...DEFAULT_SUBMISSION_LIMITS, ...opts.limits };
  const log = opts.log ?? ((line: string) => console.log(line));
  const mta = config.mailHostname;
  const port = opts.implicitTls ? "smtps" : "submission";
  const queue = opts.queue ?? createQueueContext({ config, log: (line) => log(`queue: ${line}`) });

  const perIp = new Map<string, number>();
  const connections = new WeakMap<SMTPServerSession, ConnectionState>();

  const sendingLimitReply = (resetInSeconds: number) =>
    smtpReply(
      451,
      "4.7.1",
      `Sending limit reached: at most ${limits.sending.recipients} recipients per ${minutes(limits.sending.windowSeconds)}; try again in ${minutes(resetInSeconds)}`,
    );

  const onConnect = (session: SMTPServerSession, callback: (err?: Error | null) => void) => {
    const ip = session.remoteAddress;
    const open = perIp.get(ip) ?? 0;
    if (open >= limits.maxConnectionsPerIp) {
      return callback(smtpReply(421, "4.7.0", `Too many connections from ${ip}, try again later`));
    }
    perIp.set(ip, open + 1);
    connections.set(session, { ip, usedAtMail: 0 });
    limitReplies(session, { maxCommands: limits.maxCommands, maxErrors: limits.maxErrors });
    if (!session.secure) {
      session.disabledCommands = ["AUTH"];
      awaitingTls.add(session);
    }
    callback();
  };

  const onSecure = (session: SMTPServerSession) => {
    awaitingTls.delete(session);
    delete session.disabledCommands;
  };

  const onClose = (session: SMTPServerSession) => {
    const state = connections.get(session);
    if (!state) return;
    connections.delete(session);
    const open = (perIp.get(state.ip) ?? 1) - 1;
    if (open > 0) perIp.set(state.ip, open);
    else perIp.delete(state.ip);
  };

  const authenticate = async (auth: SMTPServerAuthentication, session: SMTPServerSession): Promise<SMTPServerAuthenticationResponse> => {
    // Never reached without TLS (AUTH is disabled until then); kept as a second lock.
    if (!session.secure) throw smtpReply(530, "5.7.0", "Must issue a STARTTLS command first");
    // RFC 4616 §2: an authorization identity other than the login name asks to act as another
    // user, which nobody may do here.
    if (auth.method === "PLAIN" && auth.authzid && auth.authcid && auth.authzid.toLowerCase() !== auth.authcid.toLowerCase()) {
      throw smtpReply(535, "5.7.8", "Authentication credentials invalid (authorization identity must match the login)");
    }
    const result = await verifyMailLogin({ email: auth.username ?? "", password: auth.password ?? "", ip: session.remoteAddress, protocol: "smtp" });
    const who = `id=${session.id} ip=${session.remoteAddress} user=<${auth.username ?? ""}>`;
    if (result.ok) {
      log(`smtp ${port} ${who} authenticated (${auth.method}, ${result.method})`);
      const user: SubmissionUser = { id: result.userId, email: result.email };
      return { user };
    }
    log(`smtp ${port} ${who} auth refused: ${result.reason}`);
    if (result.reason === "rate-limited") {
      // The shared limiter refused the attempt (too many failures from this address, or on this
      // account). 421 4.7.0 with its message closes the connection: more attempts on it would
      // only be refused too (RFC 4954 §6 would allow 454 4.7.0 and keep it open).
      throw smtpReply(421, "4.7.0", result.message);
    }
    if (result.reason === "disabled") throw smtpReply(535, "5.7.8", "Authentication credentials invalid (account disabled)");
    throw smtpReply(535, "5.7.8", "Authentication credentials invalid");
  };

  const checkSender = async (address: SMTPServerAddress, session: SMTPServerSession): Promise<void> => {
    const user = sessionUser(session);
    if (!user) throw smtpReply(530, "5.7.0", session.secure ? "Authentication required" : "Authentication required (STARTTLS, then AUTH)");
    const state = connections.get(session)!;
    const [owned, usage] = await Promise.all([ownedAddresses({ userId: user.id }), getSendingUsage({ userId: user.id, limit: limits.sending })]);
    state.owned = owned;
    state.usedAtMail = usage.used;
    const sender = toAsciiAddress(address.address);
    // The null sender is allowed: RFC 8098 §2.1 asks for it on read receipts, and From: below is
    // still checked.
    if (sender !== "" && !isOwnedAddress(owned, sender)) {
      log(`smtp ${port} id=${session.id} user=<${user.email}> refused MAIL FROM:<${sender}>: not owned`);
      throw smtpReply(550, "5.7.1", `<${address.address}>: Sender address not owned by ${user.email}`);
    }
    if (usage.used >= limits.sending.recipients) throw sendingLimitReply(usage.resetInSeconds);
  };

  const checkRecipient = async (address: SMTPServerAddress, session: SMTPServerSession): Promise<void> => {
    const state = connections.get(session)!;
    const target = toAsciiAddress(address.address);
    try {
      parseAddress(target);
    } catch {
      throw smtpReply(553, "5.1.3", `<${address.address}>: Bad recipient address syntax`);
    }
    if (state.usedAtMail + session.envelope.rcptTo.length + 1 > limits.sending.recipients) {
      const usage = await getSendingUsage({ userId: sessionUser(session)!.id, limit: limits.sending });
      throw sendingLimitReply(usage.resetInSeconds);
    }
    // A user of ours who does not exist is refused now rather than bounced later.
    const resolved = await resolveRecipient(target);
    if (resolved.kind === "unknown-user") throw smtpReply(550, "5.1.1", `<${address.address}>: No such user here`);
    if (resolved.kind === "invalid") throw smtpReply(553, "5.1.3", `<${address.address}>: Bad recipient address syntax`);
  };

  const takeMessage = async (stream: Readable, session: SMTPServerSession): Promise<string> => {
    const user = sessionUser(session)!;
    const state = connections.get(session)!;
    const envelope = session.envelope;
    const sender = envelope.mailFrom ? toAsciiAddress(envelope.mailFrom.address) : "";
    const recipients = envelope.rcptTo.map((r) => toAsciiAddress(r.address));
    const data = await readSmtpData(stream, config.maxMessageSize).catch(() => {
      throw smtpReply(451, "4.4.2", "Connection lost during DATA");
    });
    const describe = `id=${session.id} user=<${user.email}> from=<${sender}> rcpts=${recipients.length} size=${data.size}`;
    if (data.tooBig) {
      log(`smtp ${port} ${describe} refused: over ${config.maxMessageSize} bytes`);
      throw smtpReply(552, "5.3.4", `Message exceeds the maximum size of ${config.maxMessageSize} bytes`);
    }
    if (data.lineEndings) {
      log(`smtp ${port} ${describe} refused: ${data.lineEndings}`);
      throw smtpReply(554, "5.6.0", "Message refused: bare CR, bare LF or NUL in DATA; lines must end with CRLF (RFC 5321 section 2.3.8)");
    }

    const owned = state.owned ?? (await ownedAddresses({ userId: user.id }));
    const problem = checkHeaderSenders(data.raw, owned);
    if (problem) {
      const text = problem.kind === "not-owned" ? `${problem.field} address <${problem.address}> not owned by ${user.email}` : problem.text;
      log(`smtp ${port} ${describe} refused: ${text}`);
      throw problem.kind === "not-owned" ? smtpReply(550, "5.7.1", `Message refused: ${text}`) : smtpReply(550, "5.6.0", `Message refused: ${text}`);
    }

    const now = new Date();
    const id = `${session.id}.${session.transaction}`;
    const tls = session.tlsOptions ? { version: session.tlsOptions.version, cipher: session.tlsOptions.name } : null;
    // RFC 3848: ESMTPSA is ESMTP with TLS and AUTH (UTF8SMTPSA with SMTPUTF8, RFC 6531 §3.7.3).
    const trace = buildReceivedHeader({
      helo: session.hostNameAppearsAs || "",
      clientHostname: session.clientHostname,
      ip: session.remoteAddress,
      by: mta,
      protocol: envelope.smtpUtf8 ? "UTF8SMTPSA" : "ESMTPSA",
      id,
      tls,
      recipient: recipients.length === 1 ? recipients[0] : undefined,
      date: now,
    });
    const raw = completeSubmittedMessage(data.raw, { trace, mailHostname: mta, now });

    const reserved = await reserveSending({ userId: user.id, recipients: recipients.length, limit: limits.sending });
    if (!reserved.ok) {
      log(`smtp ${port} ${describe} refused: sending limit (${reserved.used}/${limits.sending.recipients})`);
      throw sendingLimitReply(reserved.resetInSeconds);
    }
    const t0 = performance.now();
    let result: EnqueueResult;
    try {
      result = await enqueueMessage({ userId: user.id, sender, recipients, raw, source: "submission" }, { ctx: queue });
    } catch (err) {
      await releaseSending({ userId: user.id, recipients: recipients.length }).catch(() => undefined);
      throw err;
    }
    const local = result.recipients.filter((r) => r.local).length;
    log(
      `smtp ${port} ${describe} queued id=${id} message=${result.messageId} local=${local} remote=${result.recipients.length - local} ` +
        `enqueue=${(performance.now() - t0).toFixed(0)}ms`,
    );
    return `Ok: queued as ${result.messageId}`;
  };

  /** Runs an async check and answers its callback: the reply it threw, 451 for the unexpected. */
  const answer = (what: string, session: SMTPServerSession, work: Promise<unknown>, callback: (err?: Error | null, message?: string) => void) => {
    work.then(
      (message) => callback(null, typeof message === "string" ? message : undefined),
      (err: unknown) => {
        if (isReply(err)) return callback(err);
        if (isAppError(err, "INVALID")) return callback(smtpReply(554, "5.6.0", `Message refused: ${err.message}`));
        console.error(`smtp ${port} id=${session.id} ip=${session.remoteAddress} ${what} failed:`, err);
        callback(smtpReply(451, "4.3.0", "Local error in processing, try again later"));
      },
    );
  };

  const server = new SMTPServer({
    name: mta,
    banner: "Pigeon submission",
    secure: opts.implicitTls,
    key: opts.tls.key,
    cert: opts.tls.cert,
    minVersion: "TLSv1.2",
    authMethods: ["PLAIN", "LOGIN"],
    authRequiredMessage: "5.7.0 Authentication required",
    hideENHANCEDSTATUSCODES: false,
    size: config.maxMessageSize,
    rejectOversized: true,
    maxClients: limits.maxClients,
    maxRecipients: limits.maxRecipients,
    socketTimeout: limits.idleTimeoutMs,
    closeTimeout: opts.closeTimeoutMs ?? 10_000,
    // The Received field names the client by address; no PTR lookup delays the greeting.
    disableReverseLookup: true,
    logger: false,
    onConnect,
    onSecure: (_socket, session, callback) => {
      onSecure(session);
      callback();
    },
    onClose: (session, callback) => {
      onClose(session);
      callback?.();
    },
    onAuth: (auth, session, callback) => {
      authenticate(auth, session).then(
        (response) => callback(null, response),
        (err: unknown) => {
          if (isReply(err)) return callback(err);
          console.error(`smtp ${port} id=${session.id} AUTH failed:`, err);
          callback(smtpReply(454, "4.7.0", "Temporary authentication failure, try again later"));
        },
      );
    },
    onMailFrom: (address, session, callback) => answer("MAIL FROM", session, checkSender(address, session), callback),
    onRcptTo: (address, session, callback) => answer(`RCPT <${address.address}>`, session, checkRecipient(address, session), callback),
    onData: (stream, session, callback) => answer("DATA", session, takeMessage(stream, session), callback),
  });
  return smtpServerHandle(server, `smtp ${port}`);
}
