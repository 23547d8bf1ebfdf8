import type { FetchMessageObject, FetchQueryObject, ImapFlow, MessageAddressObject, MessageEnvelopeObject } from "imapflow";
import { decodeCharset, decodeTransferEncoding, htmlToText, previewText } from "./decode.ts";
import { hasAttachments, previewPart } from "./structure.ts";

// What a list row needs about one message, from one FETCH (ENVELOPE FLAGS BODYSTRUCTURE THREADID
// INTERNALDATE RFC822.SIZE), and a preview from the first bytes of its first text part.

export interface Address {
  name: string;
  address: string;
}

export interface MessageSummary {
  mailbox: string;
  uid: number;
  seq: number;
  threadId: string | null;
  messageId: string | null;
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  date: Date;
  size: number;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  draft: boolean;
  hasAttachments: boolean;
  snippet: string;
  fetched: FetchMessageObject;
}

export const SUMMARY_QUERY: FetchQueryObject = {
  uid: true,
  flags: true,
  envelope: true,
  bodyStructure: true,
  internalDate: true,
  size: true,
  threadId: true,
};

export function toAddresses(list: MessageAddressObject[] | undefined): Address[] {
  return (list ?? [])
    .filter((a) => a.address || a.name)
    .map((a) => ({ name: (a.name ?? "").trim(), address: (a.address ?? "").trim().toLowerCase() }));
}

function toDate(v: Date | string | undefined, fallback?: Date | string): Date {
  const d = v instanceof Date ? v : v ? new Date(v) : undefined;
  if (d && !Number.isNaN(d.getTime())) return d;
  return fallback !== undefined ? toDate(fallback) : new Date(0);
}

export function summarize(mailbox: string, m: FetchMessageObject): MessageSummary {
  const env: MessageEnvelopeObject = m.envelope ?? {};
  const flags = m.flags ?? new Set<string>();
  return {
    mailbox,
    uid: m.uid,
    seq: m.seq,
    threadId: m.threadId ?? null,
    messageId: env.messageId ?? null,
    subject: (env.subject ?? "").trim(),
    from: toAddresses(env.from),
    to: toAddresses(env.to),
    cc: toAddresses(env.cc),
    date: toDate(m.internalDate, env.date),
    size: m.size ?? 0,
    seen: flags.has("\\Seen"),
    flagged: flags.has("\\Flagged"),
    answered: flags.has("\\Answered"),
    draft: flags.has("\\Draft"),
    hasAttachments: hasAttachments(m.bodyStructure),
    snippet: "",
    fetched: m,
  };
}

/** Summaries of the messages in `range` of the selected mailbox. */
export async function fetchSummaries(client: ImapFlow, range: string | number[], opts: { uid: boolean }): Promise<MessageSummary[]> {
  if (Array.isArray(range) && range.length === 0) return [];
  const mailbox = client.mailbox ? client.mailbox.path : "";
  const rows = await client.fetchAll(Array.isArray(range) ? compactSet(range) : range, SUMMARY_QUERY, { uid: opts.uid });
  return rows.map((m) => summarize(mailbox, m));
}

const PREVIEW_BYTES = 2048;

function partBytes(m: FetchMessageObject, section: string): Buffer | undefined {
  const want = section.toLowerCase();
  for (const [key, value] of m.bodyParts ?? []) {
    if (key.toLowerCase().replace(/<[^>]*>$/, "") === want) return value;
  }
  return undefined;
}

/** Fills `snippet` for each summary: one partial FETCH per distinct text-part section. */
export async function fillSnippets(client: ImapFlow, summaries: MessageSummary[]): Promise<void> {
  const bySection = new Map<string, MessageSummary[]>();
  const parts = new Map<MessageSummary, ReturnType<typeof previewPart>>();
  for (const s of summaries) {
    const part = previewPart(s.fetched.bodyStructure);
    if (!part) continue;
    parts.set(s, part);
    const list = bySection.get(part.section) ?? [];
    list.push(s);
    bySection.set(part.section, list);
  }
  for (const [section, list] of bySection) {
    const byUid = new Map(list.map((s) => [s.uid, s]));
    const fetched = await client.fetchAll(compactSet(list.map((s) => s.uid)), { uid: true, bodyParts: [{ key: section, start: 0, maxLength: PREVIEW_BYTES }] }, { uid: true });
    for (const m of fetched) {
      const s = byUid.get(m.uid);
      const part = s && parts.get(s);
      const raw = partBytes(m, section);
      if (!s || !part || !raw) continue;
      const text = decodeCharset(decodeTransferEncoding(raw, part.encoding), part.charset);
      s.snippet = previewText(part.subtype === "html" ? htmlToText(text) : text);
    }
  }
}

/** "1:3,7,9:10" for a list of numbers (sorted, deduplicated). */
export function compactSet(numbers: number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i];
    while (i + 1 < sorted.length && sorted[i + 1] === sorted[i] + 1) i++;
    out.push(start === sorted[i] ? String(start) : `${start}:${sorted[i]}`);
  }
  return out.join(",");
}
