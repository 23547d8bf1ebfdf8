import PostalMime from "postal-mime";
import { buildEnvelope, type Envelope } from "./envelope.ts";
import { parseMimeStructure, parseTopHeaders, type MimeNode, type RawHeader } from "./structure.ts";

// Everything Pigeon needs to know about a message, computed once when it is stored.

export interface AttachmentSummary {
  filename: string | null;
  mimeType: string;
  size: number;
  contentId: string | null;
  disposition: string | null;
}

export interface ParsedMessage {
  size: number;
  headers: RawHeader[];
  envelope: Envelope;
  structure: MimeNode;
  subject: string;
  fromAddress: string;
  sentDate: Date | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  snippet: string;
  hasAttachments: boolean;
  attachments: AttachmentSummary[];
  /** Text for the full-text index: subject, addresses and body text, capped. */
  searchText: string;
}

const SEARCH_TEXT_LIMIT = 256 * 1024;
const SNIPPET_LENGTH = 200;

/** `<a@b>` message ids found in a header value, in order. */
export function extractMessageIds(value: string | null | undefined): string[] {
  if (!value) return [];
  const ids = value.match(/<[^<>\s]+>/g);
  if (ids) return ids.slice(0, 100);
  const bare = value.trim();
  return bare && !/\s/.test(bare) ? [`<${bare}>`] : [];
}

function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)[^>]*>[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&nbsp;/gi, " ")
    .replace(/&amp;/gi, "&")
    .replace(/&lt;/gi, "<")
    .replace(/&gt;/gi, ">")
    .replace(/&quot;/gi, '"')
    .replace(/&#39;/gi, "'");
}

function collapse(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function addressText(list: { name: string; address?: string; group?: { name: string; address: string }[] }[] | undefined): string {
  if (!list) return "";
  return list
    .flatMap((a) => (a.group ? a.group.map((m) => `${m.name} ${m.address}`) : [`${a.name} ${a.address ?? ""}`]))
    .join(" ");
}

function attachmentSize(content: ArrayBuffer | Uint8Array | string): number {
  if (typeof content === "string") return Buffer.byteLength(content);
  return content.byteLength;
}

export async function parseMessage(raw: Buffer): Promise<ParsedMessage> {
  const headers = parseTopHeaders(raw);
  const structure = parseMimeStructure(raw);
  const envelope = buildEnvelope(headers);
  let email: Awaited<ReturnType<typeof PostalMime.parse>> | undefined;
  try {
    email = await PostalMime.parse(raw, { attachmentEncoding: "arraybuffer", maxNestingDepth: 50 });
  } catch {
    email = undefined; // Unparseable MIME is still stored and served byte for byte.
  }
  const text = email?.text ?? (email?.html ? htmlToText(email.html) : "");
  const subject = email?.subject ?? "";
  const fromAddr = email?.from && !email.from.group ? email.from.address.toLowerCase() : "";
  const fromName = email?.from && !email.from.group ? email.from.name : "";
  let sentDate: Date | null = null;
  if (email?.date) {
    const d = new Date(email.date);
    if (!Number.isNaN(d.getTime())) sentDate = d;
  }
  const attachments: AttachmentSummary[] = (email?.attachments ?? []).map((a) => ({
    filename: a.filename,
    mimeType: a.mimeType,
    size: attachmentSize(a.content),
    contentId: a.contentId ?? null,
    disposition: a.disposition,
  }));
  const messageIds = extractMessageIds(envelope.messageId);
  const inReplyTo = extractMessageIds(envelope.inReplyTo)[0] ?? null;
  const referencesHeader = headers.find((h) => h.name === "references")?.value;
  const searchText = [
    subject,
    fromName,
    fromAddr,
    addressText(email?.to as never),
    addressText(email?.cc as never),
    text,
    attachments.map((a) => a.filename ?? "").join(" "),
  ]
    .join(" ")
    .slice(0, SEARCH_TEXT_LIMIT);
  return {
    size: raw.length,
    headers,
    envelope,
    structure,
    subject,
    fromAddress: fromAddr,
    sentDate,
    messageId: messageIds[0] ?? null,
    inReplyTo,
    references: extractMessageIds(referencesHeader),
    snippet: collapse(text.slice(0, 4 * SNIPPET_LENGTH)).slice(0, SNIPPET_LENGTH),
    hasAttachments: attachments.some((a) => a.disposition !== "inline" || !a.contentId),
    attachments,
    searchText,
  };
}
