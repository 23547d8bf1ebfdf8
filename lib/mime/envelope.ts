import { addressParser } from "postal-mime";
import type { RawHeader } from "./structure.ts";

// IMAP ENVELOPE (RFC 3501 §7.4.2) from raw headers. Strings stay as sent (clients decode RFC 2047
// words themselves); a display name the address parser had to decode is re-encoded.

export interface EnvelopeAddress {
  name: string | null;
  adl: null;
  mailbox: string | null;
  host: string | null;
}

export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[] | null;
  sender: EnvelopeAddress[] | null;
  replyTo: EnvelopeAddress[] | null;
  to: EnvelopeAddress[] | null;
  cc: EnvelopeAddress[] | null;
  bcc: EnvelopeAddress[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

function encodeWord(s: string): string {
  // Printable ASCII names go as they are; anything else as one RFC 2047 B-encoded word.
  if (/^[\x20-\x7e]*$/.test(s)) return s;
  return `=?UTF-8?B?${Buffer.from(s, "utf8").toString("base64")}?=`;
}

function splitAddress(address: string): { mailbox: string | null; host: string | null } {
  const at = address.lastIndexOf("@");
  if (at < 0) return { mailbox: address || null, host: address ? "" : null };
  return { mailbox: address.slice(0, at), host: address.slice(at + 1) };
}

export function parseAddressList(value: string | null): EnvelopeAddress[] | null {
  if (!value) return null;
  const out: EnvelopeAddress[] = [];
  for (const a of addressParser(value)) {
    if (a.group !== undefined) {
      // Group syntax: a start marker with the group name as mailbox, then members, then an end marker.
      out.push({ name: null, adl: null, mailbox: encodeWord(a.name), host: null });
      for (const m of a.group) out.push({ name: m.name ? encodeWord(m.name) : null, adl: null, ...splitAddress(m.address) });
      out.push({ name: null, adl: null, mailbox: null, host: null });
    } else if (a.address) {
      out.push({ name: a.name ? encodeWord(a.name) : null, adl: null, ...splitAddress(a.address) });
    }
  }
  return out.length ? out : null;
}

function first(headers: RawHeader[], name: string): string | null {
  const h = headers.find((x) => x.name === name);
  return h ? h.value : null;
}

export function buildEnvelope(headers: RawHeader[]): Envelope {
  const from = parseAddressList(first(headers, "from"));
  const sender = parseAddressList(first(headers, "sender")) ?? from;
  const replyTo = parseAddressList(first(headers, "reply-to")) ?? from;
  return {
    date: first(headers, "date"),
    subject: first(headers, "subject"),
    from,
    sender,
    replyTo,
    to: parseAddressList(first(headers, "to")),
    cc: parseAddressList(first(headers, "cc")),
    bcc: parseAddressList(first(headers, "bcc")),
    inReplyTo: first(headers, "in-reply-to"),
    messageId: first(headers, "message-id"),
  };
}
