import { createHash, randomBytes } from "node:crypto";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import PostalMime from "postal-mime";
import { extractMessageIds } from "../../../mime/parse.ts";
import type { Recipient } from "./addresses.ts";
import { htmlToPlainText, sanitizeComposeHtml, textToHtml } from "./html.ts";

// Messages the webmail writes, built with nodemailer's MailComposer: HTML with a plain-text
// alternative, attachments, threading headers (RFC 5322 §3.6.4), and — for drafts and the copy
// in Sent — the Bcc header, which the copy that goes out never carries. And the other way: a
// draft read back into what the compose window shows.

export interface MessageAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface AttachmentInfo {
  /** Content hash: stable across draft versions and devices. */
  id: string;
  filename: string;
  contentType: string;
  size: number;
}

export interface ComposedMessage {
  from: Recipient;
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  subject: string;
  /** Sanitized here. */
  html: string;
  messageId: string;
  inReplyTo: string | null;
  references: string[];
  date: Date;
  attachments: MessageAttachment[];
}

export function attachmentId(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 24);
}

export function attachmentInfo(a: MessageAttachment): AttachmentInfo {
  return { id: attachmentId(a.content), filename: a.filename, contentType: a.contentType, size: a.content.length };
}

/** A new Message-ID at `host`. */
export function newMessageId(host: string): string {
  return `<${Date.now().toString(36)}.${randomBytes(12).toString("hex")}@${host}>`;
}

/** Subject with one "Re: " / "Fwd: " in front, whatever prefixes it had. */
export function prefixedSubject(prefix: "Re" | "Fwd", subject: string): string {
  const bare = subject.replace(/^\s*((re|fwd?|aw|sv|wg)\s*(\[\d+\])?\s*:\s*)+/i, "").trim();
  return `${prefix}: ${bare}`;
}

/** Builds the message; `keepBcc` for drafts and the Sent copy. */
export async function buildMessage(m: ComposedMessage, opts: { keepBcc: boolean }): Promise<Buffer> {
  const html = sanitizeComposeHtml(m.html);
  const composer = new MailComposer({
    from: { name: m.from.name, address: m.from.address },
    to: m.to.map((r) => ({ name: r.name, address: r.address })),
    cc: m.cc.map((r) => ({ name: r.name, address: r.address })),
    bcc: m.bcc.map((r) => ({ name: r.name, address: r.address })),
    subject: m.subject,
    messageId: m.messageId,
    inReplyTo: m.inReplyTo ?? undefined,
    references: m.references.length ? m.references.join(" ") : undefined,
    date: m.date,
    text: htmlToPlainText(html),
    html: `<!doctype html><html><head><meta charset="utf-8"></head><body>${html}</body></html>`,
    attachments: m.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content, contentDisposition: "attachment" as const })),
  });
  const node = composer.compile();
  (node as unknown as { keepBcc: boolean }).keepBcc = opts.keepBcc;
  return new Promise((resolve, reject) => node.build((err, out) => (err ? reject(err) : resolve(out))));
}

export interface ParsedComposed {
  from: Recipient | null;
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  replyTo: Recipient[];
  subject: string;
  /** HTML for the editor (a plain-text message as paragraphs); not sanitized. */
  html: string;
  text: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  date: Date | null;
  attachments: MessageAttachment[];
}

function toRecipients(list: { name?: string; address?: string; group?: { name?: string; address?: string }[] }[] | undefined): Recipient[] {
  const out: Recipient[] = [];
  for (const a of list ?? []) {
    if (a.group) out.push(...toRecipients(a.group));
    else if (a.address) out.push({ name: a.name ?? "", address: a.address });
  }
  return out;
}

/** A stored message read back: addresses, bodies, threading headers, attachments (not inline images). */
export async function parseComposed(raw: Buffer): Promise<ParsedComposed> {
  const email = await PostalMime.parse(raw, { attachmentEncoding: "arraybuffer" });
  const header = (name: string) => email.headers.find((h) => h.key === name)?.value ?? null;
  const html = email.html ?? (email.text ? textToHtml(email.text) : "");
  return {
    from: toRecipients(email.from ? [email.from] : [])[0] ?? null,
    to: toRecipients(email.to),
    cc: toRecipients(email.cc),
    bcc: toRecipients(email.bcc),
    replyTo: toRecipients(email.replyTo),
    subject: email.subject ?? "",
    html,
    text: email.text ?? "",
    messageId: email.messageId ?? null,
    inReplyTo: extractMessageIds(header("in-reply-to"))[0] ?? null,
    references: extractMessageIds(header("references")),
    date: email.date ? new Date(email.date) : null,
    attachments: email.attachments
      .filter((a) => !(a.related && a.disposition !== "attachment"))
      .map((a) => ({
        filename: a.filename ?? "attachment",
        contentType: a.mimeType || "application/octet-stream",
        content: Buffer.from(a.content as ArrayBuffer),
      })),
  };
}
