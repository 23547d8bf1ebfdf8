import { buildEnvelope, type Envelope as MimeEnvelope } from "../mime/envelope.ts";
import type { MimeNode } from "../mime/structure.ts";
import type { BodyStructure, Envelope } from "./compiler.ts";
import type { SectionSpec } from "./parser.ts";

// FETCH's view of a stored message (RFC 9051 §6.4.5, §7.5.2): ENVELOPE and BODYSTRUCTURE from the
// structure computed at delivery, and BODY[section] / BINARY[part] sliced out of the stored bytes
// with the structure's offsets, without parsing the message again.

export function toEnvelope(env: MimeEnvelope | undefined | null): Envelope {
  if (!env) return {};
  // lib/mime already writes group syntax as start/end marker addresses (RFC 9051 §7.5.2).
  return {
    date: env.date,
    subject: env.subject,
    from: env.from ?? undefined,
    sender: env.sender ?? undefined,
    replyTo: env.replyTo ?? undefined,
    to: env.to ?? undefined,
    cc: env.cc ?? undefined,
    bcc: env.bcc ?? undefined,
    inReplyTo: env.inReplyTo,
    messageId: env.messageId,
  };
}

function isMessageType(node: MimeNode): boolean {
  return node.type === "message" && (node.subtype === "rfc822" || node.subtype === "global");
}

export function toBodyStructure(node: MimeNode): BodyStructure {
  const ext = {
    disposition: node.disposition ? { type: node.disposition.type, params: node.disposition.params } : null,
    language: node.language,
    location: node.location,
  };
  if (node.parts && node.parts.length > 0) {
    return { parts: node.parts.map(toBodyStructure), subtype: node.subtype, params: node.params, ...ext };
  }
  const single = {
    type: node.type,
    subtype: node.subtype,
    params: node.params,
    id: node.id,
    description: node.description,
    encoding: node.encoding,
    size: Math.max(0, node.bodyEnd - node.bodyStart),
    md5: node.md5,
    ...ext,
  };
  if (isMessageType(node)) {
    if (node.message) {
      return { ...single, lines: node.lines, envelope: toEnvelope(buildEnvelope(node.headers ?? [])), body: toBodyStructure(node.message) };
    }
    // Nested too deep to have been parsed: describe it as opaque data.
    return { ...single, type: "application", subtype: "octet-stream" };
  }
  if (node.type === "text") return { ...single, lines: node.lines };
  if (node.type === "multipart") {
    // A multipart without parts (no boundary): shown as the empty text part RFC 9051 requires.
    return { type: "text", subtype: "plain", params: { charset: "us-ascii" }, encoding: "7bit", size: 0, lines: 0 };
  }
  return single;
}

/** Offset where the body starts (after the blank line), or the end when there is no body. */
export function bodyOffset(data: Buffer, start = 0, end = data.length): number {
  if (data[start] === 0x0d && data[start + 1] === 0x0a) return start + 2;
  if (data[start] === 0x0a) return start + 1;
  let i = start;
  while (i < end) {
    const nl = data.indexOf(0x0a, i);
    if (nl < 0 || nl >= end) return end;
    if (data[nl + 1] === 0x0a) return Math.min(nl + 2, end);
    if (data[nl + 1] === 0x0d && data[nl + 2] === 0x0a) return Math.min(nl + 3, end);
    i = nl + 1;
  }
  return end;
}

/**
 * The fields of a header block named (or, with `not`, not named) in `fields`, followed by the
 * blank line (RFC 9051 §6.4.5 HEADER.FIELDS).
 */
export function filterHeaderFields(block: Buffer, fields: string[], not: boolean): Buffer {
  const wanted = new Set(fields.map((f) => f.toLowerCase()));
  const kept: Buffer[] = [];
  let current: { keep: boolean; start: number } | null = null;
  let pos = 0;
  const flush = (end: number) => {
    if (current?.keep) kept.push(block.subarray(current.start, end));
  };
  while (pos < block.length) {
    const nl = block.indexOf(0x0a, pos);
    const lineEnd = nl < 0 ? block.length : nl + 1;
    const first = block[pos];
    const blank = first === 0x0a || (first === 0x0d && block[pos + 1] === 0x0a);
    if (blank) break;
    if (first === 0x20 || first === 0x09) {
      pos = lineEnd;
      continue;
    }
    flush(pos);
    const colon = block.indexOf(0x3a, pos);
    const name = colon > pos && colon < lineEnd ? block.toString("latin1", pos, colon).trim().toLowerCase() : "";
    const named = name !== "" && wanted.has(name);
    current = { keep: not ? !named && name !== "" : named, start: pos };
    pos = lineEnd;
  }
  flush(pos);
  kept.push(Buffer.from("\r\n"));
  return Buffer.concat(kept);
}

interface Located {
  node: MimeNode;
  /** The node stands for a whole message (top level or inside message/rfc822). */
  isMessage: boolean;
}

/** Walks part numbers (RFC 9051 §6.4.5): into multiparts, and through message/rfc822 parts. */
export function locatePart(top: MimeNode, part: number[]): Located | null {
  let node = top;
  let isMessage = true;
  for (const index of part) {
    if (!isMessage && isMessageType(node) && node.message) {
      node = node.message;
      isMessage = true;
    }
    if (node.parts && node.parts.length > 0) {
      const next = node.parts[index - 1];
      if (!next) return null;
      node = next;
    } else if (!isMessage || index !== 1) {
      // A single part has only part 1 (its own body), and only when it is a message's body.
      return null;
    }
    isMessage = false;
  }
  return { node, isMessage };
}

/** Byte range of BODY[section], or null when the section does not exist. */
export function sectionRange(data: Buffer, structure: MimeNode | undefined, section: SectionSpec): [number, number] | null {
  const text = section.text;
  if (section.part.length === 0) {
    const bodyStart = structure ? structure.bodyStart : bodyOffset(data);
    if (!text) return [0, data.length];
    if (text === "TEXT") return [bodyStart, data.length];
    return [0, bodyStart];
  }
  if (!structure) return null;
  const found = locatePart(structure, section.part);
  if (!found) return null;
  const { node } = found;
  if (!text) return [node.bodyStart, node.bodyEnd];
  if (text === "MIME") return [node.headerStart, node.bodyStart];
  // HEADER, HEADER.FIELDS[.NOT], TEXT after part numbers apply to an enclosed message only.
  if (!isMessageType(node) || !node.message) return null;
  const inner = node.message;
  if (text === "TEXT") return [inner.bodyStart, inner.bodyEnd];
  return [inner.headerStart, inner.bodyStart];
}

/** BODY[section] bytes, or null when the section does not exist. */
export function sectionData(data: Buffer, structure: MimeNode | undefined, section: SectionSpec): Buffer | null {
  const range = sectionRange(data, structure, section);
  if (!range) return null;
  const bytes = data.subarray(range[0], range[1]);
  if (section.text === "HEADER.FIELDS" || section.text === "HEADER.FIELDS.NOT") {
    return filterHeaderFields(bytes, section.fields ?? [], section.text === "HEADER.FIELDS.NOT");
  }
  return bytes;
}

export function applyPartial(bytes: Buffer, partial: { offset: number; length: number } | undefined): Buffer {
  if (!partial) return bytes;
  return bytes.subarray(Math.min(partial.offset, bytes.length), Math.min(partial.offset + partial.length, bytes.length));
}

function decodeQuotedPrintable(input: Buffer): Buffer {
  const out = Buffer.alloc(input.length);
  let o = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== 0x3d) {
      out[o++] = c;
      continue;
    }
    // "=" CRLF (or LF) is a soft line break; "=XY" a byte; anything else is kept as it is.
    if (input[i + 1] === 0x0d && input[i + 2] === 0x0a) {
      i += 2;
      continue;
    }
    if (input[i + 1] === 0x0a) {
      i += 1;
      continue;
    }
    const hex = input.toString("latin1", i + 1, i + 3);
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out[o++] = parseInt(hex, 16);
      i += 2;
    } else {
      out[o++] = c;
    }
  }
  return out.subarray(0, o);
}

/** Decodes a Content-Transfer-Encoding; null for an encoding this server does not know. */
export function decodeTransferEncoding(body: Buffer, encoding: string): Buffer | null {
  switch (encoding.toLowerCase()) {
    case "7bit":
    case "8bit":
    case "binary":
    case "":
      return body;
    case "base64":
      return Buffer.from(body.toString("latin1").replace(/[^A-Za-z0-9+/=]/g, ""), "base64");
    case "quoted-printable":
      return decodeQuotedPrintable(body);
    default:
      return null;
  }
}

/**
 * BINARY[part] (RFC 3516 §4.2): the part's body without its transfer encoding. Null when the
 * part does not exist, "unknown-cte" when its encoding cannot be undone.
 */
export function binaryData(data: Buffer, structure: MimeNode | undefined, part: number[]): Buffer | null | "unknown-cte" {
  if (part.length === 0) return data;
  if (!structure) return null;
  const found = locatePart(structure, part);
  if (!found) return null;
  const { node } = found;
  const body = data.subarray(node.bodyStart, node.bodyEnd);
  if (node.parts || isMessageType(node)) return body;
  return decodeTransferEncoding(body, node.encoding);
}
