import { randomUUID } from "node:crypto";
import { addressParser } from "postal-mime";
import { parseTopHeaders, type RawHeader } from "../mime/structure.ts";
import { isOwnedAddress } from "./submission-identity.ts";
import { formatRfc5322Date } from "./trace-headers.ts";

// What the submission server checks and adds in a submitted message's header (RFC 6409 §8),
// without sockets or a database: the author fields must name the user's own addresses, and a
// missing Date or Message-ID is supplied.

export type HeaderSenderProblem =
  | { kind: "missing"; text: string }
  | { kind: "malformed"; text: string }
  | { kind: "not-owned"; address: string; field: string };

/** Quoted strings and comments removed, so what is left are the addresses and the separators. */
function withoutDisplayText(value: string): string {
  let out = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted || depth > 0) {
      if (c === "\\") i++;
      else if (quoted && c === '"') quoted = false;
      else if (!quoted && c === "(") depth++;
      else if (!quoted && c === ")") depth--;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === "(") depth = 1;
    // Removed text leaves a space, so the words on either side stay apart.
    out += c === '"' || c === "(" ? " " : c;
  }
  return out;
}

const ADDRESS_LIKE = /[^\s<>"(),;:@]+@[^\s<>"(),;:@]+/g;

/**
 * Every address an author field (From, Sender) names, or a problem. Two readings have to agree
 * with the user's addresses: the parser's, and every `x@y` outside quoted display names and
 * comments, so a value that another program might read differently (`a@mine b@victim`) cannot
 * slip a foreign address past the check.
 */
function fieldAddresses(field: RawHeader): { addresses: string[] } | { problem: string } {
  const parsed = addressParser(field.value);
  const addresses: string[] = [];
  for (const a of parsed) {
    if (a.group !== undefined) return { problem: `group syntax is not allowed in ${field.name}` };
    if (!a.address) return { problem: `${field.name} has an entry without an address` };
    addresses.push(a.address);
  }
  if (addresses.length === 0) return { problem: `${field.name} names no address` };
  for (const token of withoutDisplayText(field.value).match(ADDRESS_LIKE) ?? []) addresses.push(token);
  return { addresses };
}

/** Null when every author of the message is one of the user's addresses. */
export function checkHeaderSenders(raw: Buffer, owned: Set<string>): HeaderSenderProblem | null {
  const headers = parseTopHeaders(raw);
  const from = headers.filter((h) => h.name === "from");
  if (from.length === 0) return { kind: "missing", text: "the message has no From header" };
  if (from.length > 1) return { kind: "malformed", text: "the message has more than one From header" };
  for (const field of [...from, ...headers.filter((h) => h.name === "sender")]) {
    const r = fieldAddresses(field);
    if ("problem" in r) return { kind: "malformed", text: r.problem };
    for (const address of r.addresses) {
      if (!isOwnedAddress(owned, address)) return { kind: "not-owned", address, field: field.name === "from" ? "From" : "Sender" };
    }
  }
  return null;
}

/**
 * The message as it enters the queue: `trace` (the Received field) on top, then a Date and a
 * Message-ID if the client sent none (RFC 6409 §8.2, §8.3), then the message as submitted.
 */
export function completeSubmittedMessage(raw: Buffer, opts: { trace: string; mailHostname: string; now: Date }): Buffer {
  const headers = parseTopHeaders(raw);
  let added = opts.trace;
  if (!headers.some((h) => h.name === "date")) added += `Date: ${formatRfc5322Date(opts.now)}\r\n`;
  if (!headers.some((h) => h.name === "message-id")) added += `Message-ID: <${randomUUID()}@${opts.mailHostname}>\r\n`;
  return Buffer.concat([Buffer.from(added, "utf8"), raw]);
}
