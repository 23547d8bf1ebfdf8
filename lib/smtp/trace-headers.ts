// Trace header fields Pigeon adds when it takes a message in (RFC 5321 §4.4), and the removal of
// Authentication-Results that claim to be ours before we got the message (RFC 8601 §5).

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

/** RFC 5322 §3.3 date-time, in UTC. */
export function formatRfc5322Date(d: Date): string {
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

/** Client-supplied words (HELO argument, addresses) made safe inside a structured header. */
function clean(value: string): string {
  // smtp-server already refuses control characters; parentheses, brackets and semicolons would
  // still change how a reader parses the field, and non-ASCII has no place outside SMTPUTF8.
  return value.replace(/[^\x21-\x7e]|[()<>;\\"]/g, "?");
}

export interface ReceivedInput {
  helo: string;
  /** Reverse-resolved name, or `[ip]` when there is none (smtp-server's clientHostname). */
  clientHostname: string;
  ip: string;
  by: string;
  /** RFC 3848 / RFC 6531 protocol: ESMTP, ESMTPS, UTF8SMTPS, … */
  protocol: string;
  id: string;
  tls?: { version: string; cipher: string } | null;
  /** Named only when the message has exactly one recipient, so Bcc recipients stay hidden. */
  recipient?: string;
  date: Date;
}

export function buildReceivedHeader(r: ReceivedInput): string {
  const ipLiteral = r.ip.includes(":") ? `IPv6:${r.ip}` : r.ip;
  const rdns = r.clientHostname && !r.clientHostname.startsWith("[") ? `${clean(r.clientHostname)} ` : "";
  const lines = [
    `Received: from ${clean(r.helo || "unknown")} (${rdns}[${ipLiteral}])`,
    `\tby ${r.by} (Pigeon) with ${r.protocol} id ${r.id}`,
  ];
  if (r.tls) lines.push(`\t(version=${clean(r.tls.version)} cipher=${clean(r.tls.cipher)})`);
  lines.push(`\t${r.recipient ? `for <${clean(r.recipient)}>; ` : ""}${formatRfc5322Date(r.date)}`);
  return lines.join("\r\n") + "\r\n";
}

/** Offset just past the blank line that ends the header section, or the length if none. */
export function headerEnd(raw: Buffer): number {
  if (raw.length >= 2 && raw[0] === 0x0d && raw[1] === 0x0a) return 2;
  const i = raw.indexOf("\r\n\r\n");
  return i === -1 ? raw.length : i + 4;
}

/**
 * Drops `Authentication-Results` fields whose authserv-id is ours: only Pigeon may vouch for
 * a message as `authservId`, and a sender could otherwise forge a pass (RFC 8601 §5).
 */
export function removeForgedAuthResults(raw: Buffer, authservId: string): Buffer {
  const end = headerEnd(raw);
  const head = raw.subarray(0, end).toString("latin1");
  if (!/^authentication-results[ \t]*:/im.test(head)) return raw;
  const ours = authservId.toLowerCase();
  const fields = head.split(/\r\n(?![ \t])/);
  const kept = fields.filter((field) => {
    const m = /^authentication-results[ \t]*:([\s\S]*)$/i.exec(field);
    if (!m) return true;
    // authserv-id is the first token, before any version number and the first ';'. Comments
    // (RFC 5322 CFWS) may stand around it.
    const id = m[1]
      .replace(/\([^()]*\)/g, " ")
      .split(";")[0]
      .trim()
      .split(/\s+/)[0]
      ?.toLowerCase();
    return id !== ours;
  });
  if (kept.length === fields.length) return raw;
  return Buffer.concat([Buffer.from(kept.join("\r\n"), "latin1"), raw.subarray(end)]);
}
