import { randomBytes } from "node:crypto";

// Delivery status notifications (RFC 3464) in a multipart/report (RFC 6522): a human-readable
// part, the message/delivery-status part with per-message and per-recipient fields, and the
// original message's header section as text/rfc822-headers. Pure: bytes in, bytes out.

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

/** RFC 5322 §3.3 date-time, in UTC. */
function formatRfc5322Date(d: Date): string {
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

/** Offset just past the blank line that ends the header section, or the length if none. */
export function headerSectionEnd(raw: Buffer): number {
  if (raw.length >= 2 && raw[0] === 0x0d && raw[1] === 0x0a) return 2;
  const i = raw.indexOf("\r\n\r\n");
  return i === -1 ? raw.length : i + 4;
}

export interface DsnRecipient {
  /** Final-Recipient (rfc822 address type). */
  address: string;
  /** RFC 3464 §2.3.3: `failed` bounces, `delayed` only warns. */
  action: "failed" | "delayed";
  /** RFC 3463 enhanced status, e.g. 5.1.1. */
  status: string;
  /** Host name of the remote MTA that gave the diagnostic, when one did. */
  remoteMta?: string;
  /** The SMTP reply (`550 5.1.1 no such user`) or our own explanation. */
  diagnostic?: string;
  /** `smtp` for a remote reply, else a short reason shown as text. */
  diagnosticType?: "smtp" | "x-pigeon";
  lastAttemptDate?: Date;
  /** For `delayed`: when the queue gives up. */
  willRetryUntil?: Date;
}

export interface DsnInput {
  /** MAIL_HOSTNAME: Reporting-MTA and the MAILER-DAEMON address. */
  reportingMta: string;
  /** The original envelope sender, who receives this report. */
  to: string;
  /** The original message (only its header section is returned). */
  original: Buffer;
  arrivalDate: Date;
  recipients: DsnRecipient[];
  date?: Date;
}

function oneLine(s: string, max = 900): string {
  const flat = s.replace(/[\r\n\t]+/g, " ").replace(/[^\x20-\x7e]/g, "?").replace(/ {2,}/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

/** Folds a long structured field at spaces so no line passes 78 characters where possible. */
function fold(field: string): string {
  if (field.length <= 78) return field;
  const words = field.split(" ");
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + 1 + w.length > 78) {
      lines.push(line);
      line = ` ${w}`;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join("\r\n");
}

/** The header section of a message without its terminating blank line. */
export function originalHeaderSection(raw: Buffer): Buffer {
  let end = headerSectionEnd(raw);
  while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d)) end--;
  return raw.subarray(0, end);
}

export function firstHeaderValue(raw: Buffer, name: string): string | null {
  const head = originalHeaderSection(raw).toString("latin1");
  const re = new RegExp(`^${name}[ \\t]*:([^\\r\\n]*(?:\\r?\\n[ \\t][^\\r\\n]*)*)`, "im");
  const m = re.exec(head);
  return m ? m[1].replace(/\r?\n/g, "").trim() : null;
}

export function buildDsn(input: DsnInput): Buffer {
  const date = input.date ?? new Date();
  const host = input.reportingMta;
  const failed = input.recipients.filter((r) => r.action === "failed");
  const delayed = input.recipients.filter((r) => r.action === "delayed");
  const boundary = `pigeon-report-${randomBytes(12).toString("hex")}`;
  const originalId = firstHeaderValue(input.original, "message-id");
  const originalSubject = firstHeaderValue(input.original, "subject");

  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${host}>`,
    `To: <${input.to}>`,
    `Subject: ${failed.length ? "Delivery Status Notification (Failure)" : "Delivery Status Notification (Delay)"}`,
    `Date: ${formatRfc5322Date(date)}`,
    `Message-ID: <${randomBytes(16).toString("hex")}@${host}>`,
    ...(originalId && /^<[^<>\s]+>$/.test(originalId) ? [`In-Reply-To: ${originalId}`, `References: ${originalId}`] : []),
    // RFC 3834 §5: automatic responses are marked so that nothing answers them in turn.
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"`,
  ];

  const text: string[] = [`This is the mail system at ${host}.`, ""];
  const subjectNote = originalSubject ? ` (subject "${oneLine(originalSubject, 200)}")` : "";
  if (failed.length) {
    text.push(
      `Your message${subjectNote} could not be delivered to the following recipient${failed.length > 1 ? "s" : ""}.`,
      "This is a permanent error; the mail system has given up.",
      "",
      ...failed.flatMap((r) => [`  <${r.address}>: ${oneLine(r.diagnostic ?? r.status, 400)}`]),
      "",
    );
  }
  if (delayed.length) {
    const until = delayed[0].willRetryUntil;
    text.push(
      `Your message${subjectNote} has not yet been delivered to the following recipient${delayed.length > 1 ? "s" : ""}.`,
      `The mail system will keep trying${until ? ` until ${formatRfc5322Date(until)}` : ""}; you do not need to resend it.`,
      "",
      ...delayed.flatMap((r) => [`  <${r.address}>: ${oneLine(r.diagnostic ?? r.status, 400)}`]),
      "",
    );
  }

  const status: string[] = [`Reporting-MTA: dns; ${host}`, `Arrival-Date: ${formatRfc5322Date(input.arrivalDate)}`];
  for (const r of input.recipients) {
    status.push("", `Final-Recipient: rfc822; ${r.address}`, `Action: ${r.action}`, `Status: ${r.status}`);
    if (r.remoteMta) status.push(`Remote-MTA: dns; ${r.remoteMta}`);
    if (r.diagnostic) status.push(fold(`Diagnostic-Code: ${r.diagnosticType ?? "smtp"}; ${oneLine(r.diagnostic)}`));
    if (r.lastAttemptDate) status.push(`Last-Attempt-Date: ${formatRfc5322Date(r.lastAttemptDate)}`);
    if (r.action === "delayed" && r.willRetryUntil) status.push(`Will-Retry-Until: ${formatRfc5322Date(r.willRetryUntil)}`);
  }

  const headers = originalHeaderSection(input.original);
  const eightBit = headers.some((b) => b > 0x7e);
  const crlf = (lines: string[]) => lines.join("\r\n");
  return Buffer.concat([
    Buffer.from(
      crlf([
        ...head,
        "",
        "This is a MIME-encapsulated delivery status notification.",
        "",
        `--${boundary}`,
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Description: Notification",
        "",
        ...text,
        `--${boundary}`,
        "Content-Type: message/delivery-status",
        "Content-Description: Delivery report",
        "",
        ...status,
        "",
        `--${boundary}`,
        "Content-Type: text/rfc822-headers",
        "Content-Description: Undelivered message headers",
        ...(eightBit ? ["Content-Transfer-Encoding: 8bit"] : []),
        "",
        "",
      ]),
      "latin1",
    ),
    headers,
    Buffer.from(`\r\n\r\n--${boundary}--\r\n`, "latin1"),
  ]);
}

/** The enhanced status code at the start of an SMTP reply's text, or a generic one for its class. */
export function enhancedStatus(reply: string | undefined, fallbackClass: 4 | 5): string {
  const m = /^([245])\d\d[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply ?? "");
  if (m && m[1] === m[2][0]) return m[2];
  return `${fallbackClass}.0.0`;
}
