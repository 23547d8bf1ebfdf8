import type { Readable } from "node:stream";
import { domainToASCII } from "node:url";
import { smtpServerHandle, type SmtpServerHandle } from "./server-handle.ts";
import { SMTPServer, type SMTPServerAddress, type SMTPServerError, type SMTPServerSession } from "smtp-server";
import { resolveRecipient } from "../accounts/resolve-recipient.ts";
import type { Config } from "../config.ts";
import { recordDelivery, type DeliveryRecord } from "../admin/delivery-log.ts";
import { deliverMessage } from "../mail/deliver.ts";
import { getQuota } from "../mail/messages.ts";
import type { TlsMaterial } from "../tls.ts";
import { authenticateMessage } from "./authenticate.ts";
import { readSmtpData } from "./data-reader.ts";
import { createMailDns, type MailDns } from "./dns.ts";
import { installReplyHandling, limitReplies, replyForError, smtpReply } from "./replies.ts";
import { buildReceivedHeader, removeForgedAuthResults } from "./trace-headers.ts";

// The MX: Pigeon's SMTP server for mail addressed to the domains it hosts (RFC 5321). Recipients
// are checked at RCPT (never an open relay), DATA is size-limited and checked for bare CR/LF
// while it streams, SPF/DKIM/DMARC/ARC are verified, and the message is stored through lib/mail
// in one transaction for all recipients before 250 is sent.

export interface InboundLimits {
  /** Open connections in all (smtp-server answers 421 past it). */
  maxClients: number;
  maxConnectionsPerIp: number;
  /** RCPTs per transaction; RFC 5321 §4.5.3.1.8 requires at least 100. Past it: 452 4.5.3. */
  maxRecipients: number;
  /** Replies one connection may get (about one per command) before 421 4.7.0. */
  maxCommands: number;
  /** 4xx/5xx replies one connection may get before 421 4.7.0 (address harvesting, bad clients). */
  maxErrors: number;
  /** Idle time before 421; RFC 5321 §4.5.3.2.7 asks for at least 5 minutes. */
  idleTimeoutMs: number;
}

export const DEFAULT_INBOUND_LIMITS: InboundLimits = {
  maxClients: 1000,
  maxConnectionsPerIp: 50,
  maxRecipients: 100,
  maxCommands: 10_000,
  maxErrors: 20,
  idleTimeoutMs: 5 * 60_000,
};

export interface InboundServerOptions {
  config: Config;
  tls: Pick<TlsMaterial, "cert" | "key">;
  /** DNS for SPF/DKIM/DMARC/ARC and reverse lookups; DNS_SERVERS (or the system's) by default. */
  dns?: MailDns;
  limits?: Partial<InboundLimits>;
  /** Skip the PTR lookup of clients (the Received header then shows the IP only). */
  disableReverseLookup?: boolean;
  /** How long close() lets open sessions finish before answering them 421. */
  closeTimeoutMs?: number;
  /** One line per message taken or refused; console.log by default. */
  log?: (line: string) => void;
}

export type InboundServer = SmtpServerHandle;

interface ConnectionState {
  ip: string;
}

/** `local@domain` with an IDN domain back in A-labels (smtp-server hands domains over in Unicode). */
function toAsciiAddress(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 0) return address;
  const domain = address.slice(at + 1);
  if (/^[\x20-\x7e]*$/.test(domain)) return address;
  const ascii = domainToASCII(domain);
  return ascii ? `${address.slice(0, at)}@${ascii}` : address;
}

export function createInboundServer(opts: InboundServerOptions): InboundServer {
  installReplyHandling();
  const { config } = opts;
  const limits: InboundLimits = { ...DEFAULT_INBOUND_LIMITS, ...opts.limits };
  const dns = opts.dns ?? createMailDns(config.dnsServers);
  const log = opts.log ?? ((line: string) => console.log(line));
  const mta = config.mailHostname;

  const perIp = new Map<string, number>();
  const connections = new WeakMap<SMTPServerSession, ConnectionState>();
  // Users each accepted RCPT resolved to; smtp-server keeps the address objects in the envelope
  // and drops them on RSET, HELO/EHLO, STARTTLS and after DATA.
  const recipientUsers = new WeakMap<SMTPServerAddress, number[]>();

  const onConnect = (session: SMTPServerSession, callback: (err?: Error | null) => void) => {
    const ip = session.remoteAddress;
    const open = perIp.get(ip) ?? 0;
    if (open >= limits.maxConnectionsPerIp) {
      return callback(smtpReply(421, "4.7.0", `Too many connections from ${ip}, try again later`));
    }
    perIp.set(ip, open + 1);
    connections.set(session, { ip });
    limitReplies(session, { maxCommands: limits.maxCommands, maxErrors: limits.maxErrors });
    callback();
  };

  const onClose = (session: SMTPServerSession) => {
    const state = connections.get(session);
    if (!state) return;
    connections.delete(session);
    const open = (perIp.get(state.ip) ?? 1) - 1;
    if (open > 0) perIp.set(state.ip, open);
    else perIp.delete(state.ip);
  };

  /** One line in the admins' delivery log; never delays or fails the SMTP conversation. */
  const logDelivery = (session: SMTPServerSession, entry: Omit<DeliveryRecord, "sessionId" | "remoteIp" | "remoteHost" | "helo" | "mailFrom">) => {
    const mailFrom = session.envelope.mailFrom;
    void recordDelivery({
      sessionId: session.id,
      remoteIp: session.remoteAddress,
      remoteHost: session.clientHostname,
      helo: session.hostNameAppearsAs,
      mailFrom: mailFrom ? mailFrom.address : null,
      ...entry,
    });
  };

  const checkRecipient = async (address: SMTPServerAddress, session: SMTPServerSession): Promise<SMTPServerError | null> => {
    // RFC 5321 §4.1.1.3: the domainless <postmaster> is always accepted; it is the postmaster of
    // the domain the server answers for.
    const domainless = address.address.toLowerCase() === "postmaster";
    const target = domainless ? `postmaster@${mta}` : toAsciiAddress(address.address);
    const resolved = await resolveRecipient(target);
    if (domainless && resolved.kind !== "local") {
      return smtpReply(550, "5.1.1", `<postmaster>: No postmaster mailbox here; create postmaster@${mta}`);
    }
    if (resolved.kind === "invalid" || resolved.kind === "not-local") {
      // Never an open relay: whatever the form (%, !, quoted local part, IP literal, another
      // domain), an address that is not plainly one of ours is refused.
      return smtpReply(554, "5.7.1", `<${address.address}>: Relay access denied`);
    }
    if (resolved.kind === "unknown-user") {
      // `%` and `!` in a local part are the old source-routing forms (RFC 5321 §3.6.1, RFC 1123
      // §5.2.16): an address using them that no user owns is a relay attempt, not a typo.
      if (/[%!]/.test(target.slice(0, target.lastIndexOf("@")))) {
        return smtpReply(554, "5.7.1", `<${address.address}>: Relay access denied`);
      }
      return smtpReply(550, "5.1.1", `<${address.address}>: No such user here`);
    }
    const mailFrom = session.envelope.mailFrom;
    const declared = mailFrom && mailFrom.args ? Number(mailFrom.args.SIZE) || 0 : 0;
    for (const userId of resolved.userIds) {
      const quota = await getQuota({ userId });
      if (quota.usedBytes + Math.max(declared, 1) > quota.quotaBytes) {
        // RFC 3463 X.2.2 mailbox full, temporary: the recipient may make room and the sender retries.
        return smtpReply(452, "4.2.2", `<${address.address}>: Mailbox full, try again later`);
      }
    }
    recipientUsers.set(address, resolved.userIds);
    return null;
  };

  const takeMessage = async (stream: Readable, session: SMTPServerSession): Promise<string> => {
    const envelope = session.envelope;
    const sender = envelope.mailFrom ? envelope.mailFrom.address : "";
    const data = await readSmtpData(stream, config.maxMessageSize).catch(() => {
      // The client went away in the middle of the message; there is nobody left to answer.
      throw smtpReply(451, "4.4.2", "Connection lost during DATA");
    });
    const describe = `id=${session.id} ip=${session.remoteAddress} from=<${sender}> rcpts=${envelope.rcptTo.length} size=${data.size}`;
    const refuse = (reason: string) =>
      logDelivery(session, { recipients: envelope.rcptTo.map((r) => r.address), status: "REJECTED", stage: "data", reason, size: data.size });
    if (data.tooBig) {
      refuse(`over the size limit of ${config.maxMessageSize} bytes`);
      log(`smtp in ${describe} refused: over ${config.maxMessageSize} bytes`);
      throw smtpReply(552, "5.3.4", `Message exceeds the maximum size of ${config.maxMessageSize} bytes`);
    }
    if (data.lineEndings) {
      refuse(`bad line endings: ${data.lineEndings}`);
      log(`smtp in ${describe} refused: ${data.lineEndings}`);
      throw smtpReply(554, "5.6.0", "Message refused: bare CR, bare LF or NUL in DATA; lines must end with CRLF (RFC 5321 section 2.3.8)");
    }

    const helo = session.hostNameAppearsAs || "";
    const t0 = performance.now();
    const auth = await authenticateMessage(data.raw, { ip: session.remoteAddress, helo, sender, mta, resolve: dns.resolve });
    const verdicts = `spf=${auth.summary.spf} dkim=${auth.summary.dkim} dmarc=${auth.summary.dmarc} arc=${auth.summary.arc}`;
    const messageId = /^message-id:\s*(.*)$/im.exec(data.raw.subarray(0, 64 * 1024).toString("latin1").split(/\r\n\r\n/)[0])?.[1]?.trim() ?? null;
    const logged = { recipients: envelope.rcptTo.map((r) => r.address), ...auth.summary, messageId, size: data.size };
    if (auth.verdict === "reject") {
      logDelivery(session, { ...logged, status: "REJECTED", stage: "data", reason: `DMARC policy of ${auth.dmarcDomain} (p=reject) failed` });
      log(`smtp in ${describe} ${verdicts} refused: DMARC policy of ${auth.dmarcDomain}`);
      throw smtpReply(550, "5.7.1", `Message rejected: DMARC policy of ${auth.dmarcDomain} (p=reject) failed`);
    }

    const userIds = new Set<number>();
    for (const rcpt of envelope.rcptTo) for (const id of recipientUsers.get(rcpt) ?? []) userIds.add(id);
    const id = `${session.id}.${session.transaction}`;
    const now = new Date();
    const protocol =
      (envelope.smtpUtf8 ? "UTF8SMTP" : session.openingCommand === "EHLO" ? "ESMTP" : "SMTP") + (session.secure ? "S" : "");
    const tls = session.tlsOptions ? { version: session.tlsOptions.version, cipher: session.tlsOptions.name } : null;
    const trace =
      `Return-Path: <${sender}>\r\n` +
      buildReceivedHeader({
        helo,
        clientHostname: session.clientHostname,
        ip: session.remoteAddress,
        by: mta,
        protocol,
        id,
        tls,
        recipient: envelope.rcptTo.length === 1 ? envelope.rcptTo[0].address : undefined,
        date: now,
      }) +
      auth.headers;
    const raw = Buffer.concat([Buffer.from(trace, "utf8"), removeForgedAuthResults(data.raw, mta)]);
    const mailbox = auth.verdict === "junk" ? "\\Junk" : undefined;
    const t1 = performance.now();
    await deliverMessage({ raw, targets: [...userIds].map((userId) => ({ userId, mailbox })), internalDate: now });
    const timing = `auth=${(t1 - t0).toFixed(0)}ms store=${(performance.now() - t1).toFixed(0)}ms`;
    logDelivery(session, { ...logged, status: "ACCEPTED", stage: "data", reason: mailbox ? "to Junk (DMARC quarantine)" : null });
    log(`smtp in ${describe} ${verdicts} delivered id=${id} users=${userIds.size}${mailbox ? " mailbox=Junk" : ""} ${timing}`);
    return `Ok: delivered as ${id}`;
  };

  const server = new SMTPServer({
    name: mta,
    banner: "Pigeon",
    key: opts.tls.key,
    cert: opts.tls.cert,
    minVersion: "TLSv1.2",
    // Port 25 takes mail for our users only; authenticated submission is another server.
    disabledCommands: ["AUTH"],
    authOptional: true,
    // smtp-server then only checks the local@domain shape; resolveRecipient is the one strict
    // judge of recipients, so every address trick gets the same 554 5.7.1.
    lenientAddressParsing: true,
    hideENHANCEDSTATUSCODES: false,
    size: config.maxMessageSize,
    rejectOversized: true,
    maxClients: limits.maxClients,
    maxRecipients: limits.maxRecipients,
    socketTimeout: limits.idleTimeoutMs,
    closeTimeout: opts.closeTimeoutMs ?? 10_000,
    disableReverseLookup: opts.disableReverseLookup,
    resolver: {
      reverse: (ip, callback) => {
        dns.reverse(ip).then(
          (names) => callback(null, names),
          (err: Error) => callback(err),
        );
      },
    },
    logger: false,
    onConnect,
    onClose: (session, callback) => {
      onClose(session);
      callback();
    },
    onMailFrom: (_address, _session, callback) => callback(),
    onRcptTo: (address, session, callback) => {
      checkRecipient(address, session).then(
        (refusal) => {
          if (refusal) logDelivery(session, { recipients: [address.address], status: "REJECTED", stage: "rcpt", reason: refusal.message });
          callback(refusal);
        },
        (err: unknown) => {
          console.error(`smtp in id=${session.id} RCPT <${address.address}> failed:`, err);
          callback(replyForError(err).reply);
        },
      );
    },
    onData: (stream, session, callback) => {
      takeMessage(stream, session).then(
        (message) => callback(null, message),
        (err: unknown) => {
          if (err instanceof Error && typeof (err as SMTPServerError).responseCode === "number") return callback(err);
          const { reply, expected } = replyForError(err);
          if (expected) log(`smtp in id=${session.id} ip=${session.remoteAddress} refused: ${reply.message}`);
          else console.error(`smtp in id=${session.id} ip=${session.remoteAddress} DATA failed:`, err);
          // Whatever is left of the message is drained by smtp-server before it replies.
          callback(reply);
        },
      );
    },
  });
  return smtpServerHandle(server, "smtp in");
}
