import net from "node:net";
import SMTPConnection from "nodemailer/lib/smtp-connection/index.js";
import { enhancedStatus } from "../smtp/dsn.ts";
import { lookupHostAddresses, lookupMailHosts, MxLookupError } from "../smtp/mx.ts";
import type { QueueContext } from "./context.ts";
import { bounced, deferred, type DeliveryOutcome } from "./outcome.ts";

// One SMTP transaction for a message's recipients at one domain: MX hosts in order (RFC 5321
// §5.1), each address of each host, until one takes responsibility. Delivery uses nodemailer's
// SMTP client (the connection class its SMTP transport is built on, used directly to tell at which
// step a failure happened): opportunistic STARTTLS with any certificate (RFC 7435), EHLO with
// MAIL_HOSTNAME, the message bytes as given.

type HostResult =
  /** The host took part in the transaction; these are the recipients' outcomes. Stop here. */
  | { kind: "session"; outcomes: Map<string, DeliveryOutcome> }
  /** The host could not be used; try the next one. */
  | { kind: "unusable"; error: string; reply?: string; permanent: boolean; tls?: boolean };

interface SmtpError extends Error {
  code?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  recipient?: string;
  rejectedErrors?: SmtpError[];
}

function reply(err: SmtpError): string {
  return (err.response ?? err.message).replace(/\s+/g, " ").trim();
}

function outcomeForReply(code: number, text: string, host: string): DeliveryOutcome {
  const status = enhancedStatus(text, code >= 500 ? 5 : 4);
  const base = { status, error: `${host}: ${text}`, remoteMta: host, diagnostic: text, diagnosticType: "smtp" as const };
  return code >= 500 ? { kind: "bounced", ...base } : { kind: "deferred", ...base };
}

/** One connection to one address of one MX host. */
function transact(input: {
  ip: string;
  host: string;
  sender: string;
  recipients: string[];
  raw: Buffer;
  ignoreTLS: boolean;
  ctx: QueueContext;
}): Promise<HostResult> {
  const { ip, host, recipients, ctx } = input;
  const label = `${host}[${ip}]`;
  return new Promise((resolve) => {
    let stage: "connect" | "send" = "connect";
    let settled = false;
    const conn = new SMTPConnection({
      host: ip,
      port: ctx.config.outboundSmtpPort,
      name: ctx.config.mailHostname,
      secure: false,
      ignoreTLS: input.ignoreTLS,
      opportunisticTLS: true,
      // Any certificate will do (RFC 7435); SNI only for names (RFC 6066 §3 forbids addresses).
      tls: { rejectUnauthorized: false, servername: net.isIP(host) ? undefined : host },
      connectionTimeout: ctx.smtpTimeouts.connectMs,
      greetingTimeout: ctx.smtpTimeouts.greetingMs,
      socketTimeout: ctx.smtpTimeouts.socketMs,
      logger: false,
    });
    const finish = (result: HostResult, quit = false) => {
      if (settled) return;
      settled = true;
      try {
        if (quit) conn.quit();
        else conn.close();
      } catch {
        // already closed
      }
      resolve(result);
    };
    const failedInTransaction = (why: string): HostResult => {
      // The connection broke after the envelope went out: the host may have taken the message.
      // Deferring (not trying the next host now) keeps the chance of a duplicate small.
      const outcomes = new Map<string, DeliveryOutcome>();
      for (const r of recipients) outcomes.set(r, deferred("4.4.2", `${label}: ${why}`, { remoteMta: host }));
      return { kind: "session", outcomes };
    };
    conn.on("error", (err: SmtpError) => {
      if (stage === "send") return finish(failedInTransaction(reply(err)));
      const upgrading = (conn as unknown as { _socket?: { upgrading?: boolean } })._socket?.upgrading;
      const tls = err.code === "ETLS" || !!upgrading;
      const code = err.responseCode ?? 0;
      finish({ kind: "unusable", error: `${label}: ${reply(err)}`, reply: code ? reply(err) : undefined, permanent: code >= 500, tls });
    });
    conn.on("end", () => {
      if (stage === "send") return finish(failedInTransaction("connection closed during the transaction"));
      const upgrading = (conn as unknown as { _socket?: { upgrading?: boolean } })._socket?.upgrading;
      finish({ kind: "unusable", error: `${label}: connection closed`, permanent: false, tls: !!upgrading });
    });
    conn.connect(() => {
      if (settled) return;
      stage = "send";
      const envelope = {
        from: input.sender,
        to: recipients,
        size: input.raw.length,
        use8BitMime: /[\x80-\xff]/.test(input.raw.toString("latin1")),
      };
      conn.send(envelope, input.raw, (err: SmtpError | null, info) => {
        if (settled) return;
        const outcomes = new Map<string, DeliveryOutcome>();
        if (!err) {
          const accepted = new Set((info.accepted as string[]).map(String));
          const tlsNote = conn.secure ? " (TLS)" : "";
          for (const e of (info.rejectedErrors ?? []) as SmtpError[]) {
            if (e.recipient) outcomes.set(e.recipient, outcomeForReply(e.responseCode ?? 550, reply(e), host));
          }
          for (const r of recipients) {
            if (accepted.has(r)) outcomes.set(r, { kind: "delivered", reply: `${label}${tlsNote}: ${String(info.response ?? "").trim()}` });
            else if (!outcomes.has(r)) outcomes.set(r, deferred("4.4.2", `${label}: no reply for this recipient`, { remoteMta: host }));
          }
          return finish({ kind: "session", outcomes }, true);
        }
        const code = err.responseCode ?? 0;
        if (err.command === "MAIL FROM" && code >= 400 && code < 500) {
          // A temporary refusal of the sender is the host's state, not the message's: next host.
          return finish({ kind: "unusable", error: `${label}: ${reply(err)}`, reply: reply(err), permanent: false }, true);
        }
        if (err.command === "MAIL FROM" && !code && err.code === "EMESSAGE") {
          // nodemailer refused before sending: the message exceeds the SIZE the host announced.
          for (const r of recipients) outcomes.set(r, bounced("5.3.4", `${label}: ${err.message}`, { remoteMta: host }));
          return finish({ kind: "session", outcomes }, true);
        }
        // Recipients refused at RCPT TO (all of them, or some before a failed DATA).
        const rejected =
          err.rejectedErrors ??
          ((conn as unknown as { _envelope?: { rejectedErrors?: SmtpError[] } })._envelope?.rejectedErrors || []);
        for (const e of rejected) {
          if (e.recipient) outcomes.set(e.recipient, outcomeForReply(e.responseCode ?? 550, reply(e), host));
        }
        for (const r of recipients) {
          if (outcomes.has(r)) continue;
          if (code >= 400) outcomes.set(r, outcomeForReply(code, reply(err), host));
          else if (err.code === "EENVELOPE" && err.command === "API") outcomes.set(r, bounced("5.1.3", `${label}: ${err.message}`));
          else outcomes.set(r, deferred("4.4.2", `${label}: ${reply(err)}`, { remoteMta: host }));
        }
        return finish({ kind: "session", outcomes }, code > 0);
      });
    });
  });
}

/**
 * Delivers `raw` to `recipients` (all at `domain`) and returns each one's outcome. Never throws
 * for delivery problems; those are outcomes.
 */
export async function deliverRemote(
  input: { domain: string; sender: string; recipients: string[]; raw: Buffer },
  ctx: QueueContext,
): Promise<Map<string, DeliveryOutcome>> {
  const all = (o: DeliveryOutcome) => new Map(input.recipients.map((r) => [r, o]));
  let hosts;
  try {
    hosts = await lookupMailHosts(input.domain, { dns: ctx.dns, random: ctx.random });
  } catch (err) {
    if (err instanceof MxLookupError) return all(err.permanent ? bounced(err.status, err.message) : deferred(err.status, err.message));
    return all(deferred("4.4.3", `MX lookup for ${input.domain} failed: ${(err as Error).message}`));
  }

  const failures: { error: string; reply?: string; host?: string; permanent: boolean }[] = [];
  for (const mx of hosts) {
    let addresses: string[];
    try {
      addresses = await lookupHostAddresses(mx.host, ctx.dns);
    } catch (err) {
      const permanent = err instanceof MxLookupError && err.permanent;
      failures.push({ error: (err as Error).message, permanent });
      continue;
    }
    for (const ip of addresses) {
      let result = await transact({ ip, host: mx.host, sender: input.sender, recipients: input.recipients, raw: input.raw, ignoreTLS: false, ctx });
      if (result.kind === "unusable" && result.tls) {
        // RFC 7435 opportunistic security: a failed TLS handshake falls back to plain text.
        ctx.log(`${mx.host}[${ip}]: STARTTLS failed (${result.error}); retrying without TLS`);
        result = await transact({ ip, host: mx.host, sender: input.sender, recipients: input.recipients, raw: input.raw, ignoreTLS: true, ctx });
      }
      if (result.kind === "session") return result.outcomes;
      ctx.log(`${result.error}; trying the next host`);
      failures.push({ error: result.error, reply: result.reply, host: mx.host, permanent: result.permanent });
    }
  }

  const last = failures[failures.length - 1];
  const summary = failures.map((f) => f.error).join("; ").slice(0, 2000) || `no usable mail host for ${input.domain}`;
  // Every host refused permanently (5xx greeting, names that do not exist): bounce. Otherwise wait.
  if (failures.length > 0 && failures.every((f) => f.permanent)) {
    return all(bounced(last.reply ? enhancedStatus(last.reply, 5) : "5.4.4", summary, last.reply ? { remoteMta: last.host, diagnostic: last.reply, diagnosticType: "smtp" } : {}));
  }
  const status = last?.reply ? `4${enhancedStatus(last.reply, 4).slice(1)}` : "4.4.1";
  return all(deferred(status, summary, last?.reply ? { remoteMta: last.host, diagnostic: last.reply, diagnosticType: "smtp" } : {}));
}
