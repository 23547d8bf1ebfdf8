// The response side of the IMAP protocol layer: serializes server responses to bytes (RFC 9051,
// RFC 3501 and extensions). Pure: no sockets, no database. Also the mailbox-name codec
// (modified UTF-7, RFC 3501 §5.1.3) used in both directions.

import type { SectionSpec, SequenceSet, StatusItem } from "./parser.ts";

// ─── Values ─────────────────────────────────────────────────────────────────────────────────────

/** Written verbatim, unquoted: keywords, flags (`\Seen`), sequence sets. */
export class ImapAtom {
  constructor(readonly value: string) {
    if (!/^[^\x00-\x20\x7f-\xff(){"]+$/.test(value)) throw new Error(`Not an IMAP atom: ${JSON.stringify(value)}`);
  }
}

/** Written as `~{N}` literal8 (RFC 3516): for BINARY data that may contain NUL. */
export class ImapLiteral8 {
  constructor(readonly value: Buffer) {}
}

/** Values written back to back without separators: `1*address`, the `1*body` of a multipart. */
export class ImapConcat {
  constructor(readonly items: readonly ImapValue[]) {}
}

/** Pre-formatted response text, written as is (e.g. a `BODY[HEADER.FIELDS (A B)]<0>` item name). */
export class ImapRaw {
  constructor(readonly value: string) {
    if (/[\r\n]/.test(value)) throw new Error("Raw IMAP text may not contain CR or LF");
  }
}

/**
 * A data value: null is NIL, numbers and bigints are numbers, strings become quoted strings or
 * literals as their content requires, Buffers are always literals, arrays are parenthesized lists.
 */
export type ImapValue =
  | null
  | number
  | bigint
  | string
  | Buffer
  | ImapAtom
  | ImapLiteral8
  | ImapRaw
  | ImapConcat
  | readonly ImapValue[];

export const atom = (value: string): ImapAtom => new ImapAtom(value);
export const literal8 = (value: Buffer): ImapLiteral8 => new ImapLiteral8(value);
export const raw = (value: string): ImapRaw => new ImapRaw(value);

export interface CompileOptions {
  /**
   * The client enabled UTF8=ACCEPT or IMAP4rev2: quoted strings and text may carry UTF-8 and
   * mailbox names are sent as UTF-8 rather than modified UTF-7 (RFC 6855 §3, RFC 9051 §5.1).
   */
  utf8?: boolean;
}

/** Longer strings go out as literals; keeps response lines short for clients with line limits. */
const MAX_QUOTED_LENGTH = 1024;

/** Accumulates text and binary parts; text is UTF-8. */
class Writer {
  #parts: Buffer[] = [];
  #text = "";

  text(value: string): this {
    this.#text += value;
    return this;
  }

  bytes(value: Buffer): this {
    this.#flush();
    this.#parts.push(value);
    return this;
  }

  toBuffer(): Buffer {
    this.#flush();
    return this.#parts.length === 1 ? this.#parts[0] : Buffer.concat(this.#parts);
  }

  #flush(): void {
    if (this.#text) this.#parts.push(Buffer.from(this.#text, "utf8"));
    this.#text = "";
  }
}

function writeValue(w: Writer, value: ImapValue, options: CompileOptions): void {
  if (value === null) w.text("NIL");
  else if (typeof value === "number" || typeof value === "bigint") w.text(formatNumber(value));
  else if (typeof value === "string") writeString(w, value, options);
  else if (Buffer.isBuffer(value)) w.text(`{${value.length}}\r\n`).bytes(value);
  else if (value instanceof ImapAtom || value instanceof ImapRaw) w.text(value.value);
  else if (value instanceof ImapLiteral8) w.text(`~{${value.value.length}}\r\n`).bytes(value.value);
  else if (value instanceof ImapConcat) value.items.forEach((item) => writeValue(w, item, options));
  else writeList(w, value, options);
}

function writeList(w: Writer, items: readonly ImapValue[], options: CompileOptions): void {
  w.text("(");
  writeSpaced(w, items, options);
  w.text(")");
}

function writeSpaced(w: Writer, items: readonly ImapValue[], options: CompileOptions): void {
  items.forEach((item, i) => {
    if (i > 0) w.text(" ");
    writeValue(w, item, options);
  });
}

/** number / number64 (RFC 9051 §9); mod-sequences come from the database as bigint. */
function formatNumber(value: number | bigint): string {
  const valid = typeof value === "bigint" ? value >= 0n : Number.isSafeInteger(value) && value >= 0;
  if (!valid) throw new RangeError(`Not an IMAP number: ${value}`);
  return String(value);
}

/**
 * A quoted string when that is possible and not larger than a literal; a literal otherwise.
 * RFC 9051 §4.3: quoted strings hold no CR, LF or NUL, and 8-bit only in UTF-8 mode.
 */
function writeString(w: Writer, input: string, options: CompileOptions): void {
  // NUL is not allowed in quoted strings nor in literals (only literal8); it has no place in text.
  const value = input.includes("\0") ? input.replaceAll("\0", "\uFFFD") : input;
  const bytes = Buffer.byteLength(value, "utf8");
  if (/[\r\n]/.test(value) || (!options.utf8 && /[^\x00-\x7f]/.test(value)) || bytes > MAX_QUOTED_LENGTH) {
    w.text(`{${bytes}}\r\n`).bytes(Buffer.from(value, "utf8"));
    return;
  }
  const escapes = value.match(/["\\]/g)?.length ?? 0;
  // Quoted costs bytes + 2 + escapes; a literal costs bytes + "{N}\r\n".
  if (escapes > String(bytes).length + 2) {
    w.text(`{${bytes}}\r\n`).bytes(Buffer.from(value, "utf8"));
    return;
  }
  w.text(`"${escapes ? value.replace(/["\\]/g, "\\$&") : value}"`);
}

/** Serializes one value, e.g. for tests or ad-hoc responses. */
export function compileValue(value: ImapValue, options: CompileOptions = {}): Buffer {
  const w = new Writer();
  writeValue(w, value, options);
  return w.toBuffer();
}

/** `* v1 v2 …\r\n`: the generic untagged data response. */
export function compileUntagged(values: readonly ImapValue[], options: CompileOptions = {}): Buffer {
  const w = new Writer().text("* ");
  writeSpaced(w, values, options);
  return w.text("\r\n").toBuffer();
}

// ─── Sequence sets ──────────────────────────────────────────────────────────────────────────────

/**
 * `[1, 2, 3, 5]` → "1:3,5". Numbers are sorted and deduplicated unless `preserveOrder`, which
 * COPYUID needs: its two sets pair up element by element (RFC 4315 §3), so only ascending runs
 * are joined. A parsed SequenceSet is written back as given.
 */
export function compileSequenceSet(
  set: readonly number[] | SequenceSet,
  { preserveOrder = false }: { preserveOrder?: boolean } = {},
): string {
  if (!Array.isArray(set)) {
    const parsed = set as SequenceSet;
    if (parsed.saved) return "$";
    return parsed.ranges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}:${r.end}`)).join(",");
  }
  const numbers = preserveOrder ? [...set] : [...new Set(set)].sort((a, b) => a - b);
  if (numbers.length === 0) throw new RangeError("An IMAP sequence set cannot be empty");
  const parts: string[] = [];
  let start = numbers[0];
  let end = start;
  for (const n of numbers.slice(1)) {
    if (n === end + 1) {
      end = n;
      continue;
    }
    parts.push(start === end ? formatNumber(start) : `${formatNumber(start)}:${formatNumber(end)}`);
    start = end = n;
  }
  parts.push(start === end ? formatNumber(start) : `${formatNumber(start)}:${formatNumber(end)}`);
  return parts.join(",");
}

// ─── Status responses ───────────────────────────────────────────────────────────────────────────

/** Response codes without data (RFC 9051 §7.1 and the extensions' own). */
export type SimpleResponseCode =
  | "ALERT"
  | "ALREADYEXISTS"
  | "AUTHENTICATIONFAILED"
  | "AUTHORIZATIONFAILED"
  | "CANNOT"
  | "CLIENTBUG"
  | "CLOSED"
  | "CONTACTADMIN"
  | "CORRUPTION"
  | "EXPIRED"
  | "EXPUNGEISSUED"
  | "HASCHILDREN"
  | "INUSE"
  | "LIMIT"
  | "NOMODSEQ"
  | "NONEXISTENT"
  | "NOPERM"
  | "NOTSAVED"
  | "OVERQUOTA"
  | "PARSE"
  | "PRIVACYREQUIRED"
  | "READ-ONLY"
  | "READ-WRITE"
  | "SERVERBUG"
  | "TOOBIG"
  | "TRYCREATE"
  | "UIDNOTSTICKY"
  | "UNAVAILABLE"
  | "UNKNOWN-CTE"
  | "USEATTR";

export type ResponseCode =
  | SimpleResponseCode
  | { code: "UIDVALIDITY" | "UIDNEXT" | "UNSEEN"; value: number }
  /** RFC 7162 §3.1.2.1 */
  | { code: "HIGHESTMODSEQ"; value: bigint | number }
  /** RFC 4315 §3; several UIDs after MULTIAPPEND. */
  | { code: "APPENDUID"; uidValidity: number; uids: readonly number[] }
  /** RFC 4315 §3; `sourceUids[i]` was copied to `destUids[i]`. */
  | { code: "COPYUID"; uidValidity: number; sourceUids: readonly number[]; destUids: readonly number[] }
  /** RFC 7162 §3.1.3: messages that failed the UNCHANGEDSINCE test. */
  | { code: "MODIFIED"; set: readonly number[] }
  | { code: "PERMANENTFLAGS"; flags: readonly string[] }
  | { code: "CAPABILITY"; capabilities: readonly string[] }
  /** RFC 8474 §4.1 */
  | { code: "MAILBOXID"; id: string }
  | { code: "BADCHARSET"; charsets?: readonly string[] };

export interface StatusResponse {
  /** Omitted for untagged (`*`) responses. */
  tag?: string;
  status: "OK" | "NO" | "BAD" | "PREAUTH" | "BYE";
  code?: ResponseCode;
  text: string;
}

/** `A1 OK [CODE …] text\r\n` or `* BYE text\r\n`. */
export function compileStatus(response: StatusResponse, options: CompileOptions = {}): Buffer {
  const w = new Writer().text(`${response.tag ?? "*"} ${response.status} `);
  if (response.code) {
    w.text("[");
    writeResponseCode(w, response.code, options);
    w.text("] ");
  }
  return w.text(sanitizeText(response.text, options, response.code !== undefined)).text("\r\n").toBuffer();
}

function writeResponseCode(w: Writer, code: ResponseCode, options: CompileOptions): void {
  if (typeof code === "string") {
    w.text(code);
    return;
  }
  switch (code.code) {
    case "UIDVALIDITY":
    case "UIDNEXT":
    case "UNSEEN":
    case "HIGHESTMODSEQ":
      w.text(`${code.code} ${formatNumber(code.value)}`);
      return;
    case "APPENDUID":
      w.text(`APPENDUID ${formatNumber(code.uidValidity)} ${compileSequenceSet(code.uids, { preserveOrder: true })}`);
      return;
    case "COPYUID": {
      if (code.sourceUids.length !== code.destUids.length) throw new RangeError("COPYUID sets differ in size");
      const source = compileSequenceSet(code.sourceUids, { preserveOrder: true });
      const dest = compileSequenceSet(code.destUids, { preserveOrder: true });
      w.text(`COPYUID ${formatNumber(code.uidValidity)} ${source} ${dest}`);
      return;
    }
    case "MODIFIED":
      w.text(`MODIFIED ${compileSequenceSet(code.set)}`);
      return;
    case "PERMANENTFLAGS":
      w.text("PERMANENTFLAGS ");
      writeList(w, code.flags.map(atom), options);
      return;
    case "CAPABILITY":
      w.text(["CAPABILITY", ...code.capabilities].join(" "));
      return;
    case "MAILBOXID":
      w.text(`MAILBOXID (${new ImapAtom(code.id).value})`);
      return;
    case "BADCHARSET":
      w.text("BADCHARSET");
      if (code.charsets?.length) {
        w.text(" ");
        writeList(w, [...code.charsets], options);
      }
      return;
  }
}

/**
 * resp-text: no CR/LF, UTF-8 only in UTF-8 mode, and no leading "[" that a client would read as a
 * response code.
 */
function sanitizeText(text: string, options: CompileOptions, hasCode: boolean): string {
  let clean = text.replace(/[\r\n\0]+/g, " ");
  if (!options.utf8) clean = clean.replace(/[^\x00-\x7f]/g, "?");
  if (!hasCode && clean.startsWith("[")) clean = ` ${clean}`;
  return clean === "" ? "done" : clean;
}

/** `+ text\r\n`: ready for a literal, or IDLE accepted. */
export function compileContinuation(text = "Ready", options: CompileOptions = {}): Buffer {
  return Buffer.from(`+ ${sanitizeText(text, options, false)}\r\n`, "utf8");
}

/** `+ <base64>\r\n`: an AUTHENTICATE challenge; empty data gives `+ \r\n` (RFC 9051 §7.5). */
export function compileAuthChallenge(data: Buffer): Buffer {
  return Buffer.from(`+ ${data.toString("base64")}\r\n`, "latin1");
}

// ─── Simple untagged data ───────────────────────────────────────────────────────────────────────

export function compileCapability(capabilities: readonly string[]): Buffer {
  return compileUntagged(["CAPABILITY", ...capabilities].map(atom));
}

export function compileEnabled(capabilities: readonly string[]): Buffer {
  return compileUntagged(["ENABLED", ...capabilities].map(atom));
}

/** `* 23 EXISTS`, `* 5 RECENT`, `* 4 EXPUNGE` (sequence number). */
export function compileMessageCount(n: number, kind: "EXISTS" | "RECENT" | "EXPUNGE"): Buffer {
  return Buffer.from(`* ${formatNumber(n)} ${kind}\r\n`, "latin1");
}

export function compileFlags(flags: readonly string[]): Buffer {
  return compileUntagged([atom("FLAGS"), flags.map(atom)]);
}

/** `* SEARCH 2 5 6 (MODSEQ 917162500)`; `* SORT` likewise (RFC 5256, RFC 7162 §3.1.5). */
export function compileSearch(
  numbers: readonly number[],
  { modseq, command = "SEARCH" }: { modseq?: bigint | number; command?: "SEARCH" | "SORT" } = {},
): Buffer {
  let line = `* ${command}`;
  for (const n of numbers) line += ` ${formatNumber(n)}`;
  if (modseq !== undefined && numbers.length > 0) line += ` (MODSEQ ${formatNumber(modseq)})`;
  return Buffer.from(`${line}\r\n`, "latin1");
}

export interface EsearchResponse {
  /** Tag of the SEARCH command this answers. */
  tag?: string;
  uid: boolean;
  min?: number;
  max?: number;
  /** Matching numbers, compacted to a set; omitted when there is no match (RFC 4731 §3.1). */
  all?: readonly number[];
  count?: number;
  /** RFC 7162 §3.1.5 */
  modseq?: bigint | number;
}

/** `* ESEARCH (TAG "A1") UID MIN 1 MAX 9 ALL 1:3,9 COUNT 4` (RFC 4731 §3.2). */
export function compileEsearch(response: EsearchResponse): Buffer {
  const w = new Writer().text("* ESEARCH");
  if (response.tag !== undefined) {
    w.text(" (TAG ");
    writeString(w, response.tag, {});
    w.text(")");
  }
  if (response.uid) w.text(" UID");
  if (response.min !== undefined) w.text(` MIN ${formatNumber(response.min)}`);
  if (response.max !== undefined) w.text(` MAX ${formatNumber(response.max)}`);
  if (response.all?.length) w.text(` ALL ${compileSequenceSet(response.all)}`);
  if (response.count !== undefined) w.text(` COUNT ${formatNumber(response.count)}`);
  if (response.modseq !== undefined) w.text(` MODSEQ ${formatNumber(response.modseq)}`);
  return w.text("\r\n").toBuffer();
}

/** A THREAD tree node; `id` is absent for a missing common parent (RFC 5256 §4). */
export interface ThreadNode {
  id?: number;
  children: ThreadNode[];
}

/** `* THREAD (2)(3 6 (4 23)(44 7 96))` (RFC 5256 §4). */
export function compileThread(threads: readonly ThreadNode[]): Buffer {
  const lists = threads.map(threadList).filter((list) => list !== "");
  return Buffer.from(`* THREAD${lists.length ? " " : ""}${lists.map((l) => `(${l})`).join("")}\r\n`, "latin1");
}

/**
 * The inside of one thread-list: thread-members = nz-number *(SP nz-number) [SP thread-nested],
 * thread-nested = 2*thread-list. A chain of single replies is a run of numbers; a fork nests.
 */
function threadList(node: ThreadNode): string {
  if (node.id === undefined) {
    const roots = withoutDummies(node.children);
    return roots.length === 1 ? threadList(roots[0]) : roots.map((r) => `(${threadList(r)})`).join("");
  }
  const ids = [formatNumber(node.id)];
  let replies = withoutDummies(node.children);
  while (replies.length === 1) {
    ids.push(formatNumber(replies[0].id as number));
    replies = withoutDummies(replies[0].children);
  }
  if (replies.length === 0) return ids.join(" ");
  return `${ids.join(" ")} ${replies.map((r) => `(${threadList(r)})`).join("")}`;
}

/** Below the root, a missing message's replies hang from its parent (RFC 5256 §4, REFERENCES step 4). */
function withoutDummies(nodes: readonly ThreadNode[]): ThreadNode[] {
  return nodes.flatMap((node) => (node.id === undefined ? withoutDummies(node.children) : [node]));
}

/** `* VANISHED (EARLIER) 1:3,7` (RFC 7162 §3.2.10); `earlier` in answers to FETCH/SELECT. */
export function compileVanished(uids: readonly number[], earlier: boolean): Buffer {
  return Buffer.from(`* VANISHED ${earlier ? "(EARLIER) " : ""}${compileSequenceSet(uids)}\r\n`, "latin1");
}

/** `* ID ("name" "Pigeon")` or `* ID NIL` (RFC 2971). */
export function compileId(params: Record<string, string | null> | null): Buffer {
  if (params === null) return compileUntagged([atom("ID"), null]);
  return compileUntagged([atom("ID"), Object.entries(params).flat()]);
}

export interface NamespaceEntry {
  prefix: string;
  delimiter: string | null;
}

/** `* NAMESPACE (("" "/")) NIL NIL` (RFC 2342, RFC 9051 §7.2.2). */
export function compileNamespace(
  personal: readonly NamespaceEntry[],
  otherUsers: readonly NamespaceEntry[] = [],
  shared: readonly NamespaceEntry[] = [],
  options: CompileOptions = {},
): Buffer {
  const group = (entries: readonly NamespaceEntry[]): ImapValue =>
    entries.length === 0 ? null : entries.map((e) => [encodeMailboxName(e.prefix, options), e.delimiter]);
  return compileUntagged([atom("NAMESPACE"), group(personal), group(otherUsers), group(shared)], options);
}

export interface QuotaResource {
  /** STORAGE (in KiB), MESSAGE, MAILBOX, … (RFC 9208 §5). */
  name: string;
  usage: number | bigint;
  limit: number | bigint;
}

/** `* QUOTA "" (STORAGE 10 512)` */
export function compileQuota(root: string, resources: readonly QuotaResource[]): Buffer {
  return compileUntagged([atom("QUOTA"), root, resources.flatMap((r) => [atom(r.name), r.usage, r.limit])]);
}

/** `* QUOTAROOT INBOX ""` */
export function compileQuotaRoot(mailbox: string, roots: readonly string[], options: CompileOptions = {}): Buffer {
  return compileUntagged([atom("QUOTAROOT"), encodeMailboxName(mailbox, options), ...roots], options);
}

// ─── LIST and STATUS ────────────────────────────────────────────────────────────────────────────

export interface ListEntry {
  /** `\HasNoChildren`, `\Subscribed`, `\Sent`, `\NonExistent`, … */
  attributes: readonly string[];
  delimiter: string | null;
  /** The Unicode name; encoded per `CompileOptions.utf8`. */
  mailbox: string;
  /** CHILDINFO extended data, e.g. ["SUBSCRIBED"] (RFC 5258 §3.5). */
  childInfo?: readonly string[];
  /** OLDNAME extended data after a RENAME (RFC 9051 §7.3.1). */
  oldName?: string;
}

/** `* LIST (\HasNoChildren) "/" "INBOX"` (or LSUB), with extended data when given. */
export function compileList(entry: ListEntry, options: CompileOptions = {}, command: "LIST" | "LSUB" = "LIST"): Buffer {
  const values: ImapValue[] = [
    atom(command),
    entry.attributes.map(atom),
    entry.delimiter,
    encodeMailboxName(entry.mailbox, options),
  ];
  const extended: ImapValue[] = [];
  if (entry.childInfo?.length) extended.push("CHILDINFO", [...entry.childInfo]);
  if (entry.oldName !== undefined) extended.push("OLDNAME", [encodeMailboxName(entry.oldName, options)]);
  if (extended.length > 0) values.push(extended);
  return compileUntagged(values, options);
}

/** STATUS values; MAILBOXID is the object id (RFC 8474), APPENDLIMIT may be NIL (RFC 7889). */
export type StatusValues = {
  [K in StatusItem]?: K extends "MAILBOXID" ? string : K extends "APPENDLIMIT" ? number | null : number | bigint;
};

/** `* STATUS "INBOX" (MESSAGES 3 UIDNEXT 4 MAILBOXID (F1))`, values in the order given. */
export function compileStatusData(mailbox: string, values: StatusValues, options: CompileOptions = {}): Buffer {
  return compileUntagged([atom("STATUS"), encodeMailboxName(mailbox, options), statusValueList(values)], options);
}

function statusValueList(values: StatusValues): ImapValue[] {
  const list: ImapValue[] = [];
  for (const [item, value] of Object.entries(values)) {
    if (value === undefined) continue;
    list.push(atom(item));
    list.push(item === "MAILBOXID" ? [atom(value as string)] : (value as number | bigint | null));
  }
  return list;
}

// ─── ENVELOPE and BODYSTRUCTURE ─────────────────────────────────────────────────────────────────

export interface Address {
  name?: string | null;
  /** Source route; obsolete, normally absent (NIL). */
  adl?: string | null;
  /** Local part. */
  mailbox: string | null;
  host: string | null;
}

/** RFC 5322 group syntax, written with the start and end markers of RFC 9051 §7.5.2. */
export interface AddressGroup {
  group: string;
  members: readonly Address[];
}

export type AddressListEntry = Address | AddressGroup;

export interface Envelope {
  /** The Date header as written in the message. */
  date?: string | null;
  subject?: string | null;
  from?: readonly AddressListEntry[];
  /** When absent or empty: the From list (RFC 9051 §7.5.2). */
  sender?: readonly AddressListEntry[];
  /** When absent or empty: the From list. */
  replyTo?: readonly AddressListEntry[];
  to?: readonly AddressListEntry[];
  cc?: readonly AddressListEntry[];
  bcc?: readonly AddressListEntry[];
  inReplyTo?: string | null;
  messageId?: string | null;
}

export interface ContentDisposition {
  type: string;
  params?: Record<string, string>;
}

/** Extension data shared by single parts and multiparts (BODYSTRUCTURE only, not BODY). */
interface BodyExtension {
  disposition?: ContentDisposition | null;
  language?: readonly string[] | null;
  location?: string | null;
}

export interface SinglePartStructure extends BodyExtension {
  type: string;
  subtype: string;
  params?: Record<string, string>;
  id?: string | null;
  description?: string | null;
  encoding: string;
  /** Size in bytes of the body, as encoded. */
  size: number;
  /** text/* and message/rfc822: lines of the encoded body. */
  lines?: number;
  /** message/rfc822 (and message/global): the envelope and structure of the enclosed message. */
  envelope?: Envelope;
  body?: BodyStructure;
  md5?: string | null;
}

export interface MultipartStructure extends BodyExtension {
  parts: readonly BodyStructure[];
  subtype: string;
  params?: Record<string, string>;
}

export type BodyStructure = SinglePartStructure | MultipartStructure;

/** env-from = "(" 1*address ")" / nil: addresses follow each other without spaces. */
function addressListValue(list: readonly AddressListEntry[] | undefined): ImapValue {
  if (!list || list.length === 0) return null;
  const addresses = list.flatMap((entry): ImapValue[] => {
    if ("group" in entry) {
      // RFC 9051 §7.5.2: group start has a NIL host and the group name as mailbox; end is all NIL.
      return [[null, null, entry.group, null], ...entry.members.map(addressValue), [null, null, null, null]];
    }
    return [addressValue(entry)];
  });
  return [new ImapConcat(addresses)];
}

function addressValue(address: Address): ImapValue {
  return [address.name ?? null, address.adl ?? null, address.mailbox, address.host];
}

/** The ENVELOPE list (RFC 9051 §7.5.2). */
export function envelopeValue(envelope: Envelope): ImapValue {
  const from = envelope.from;
  return [
    envelope.date ?? null,
    envelope.subject ?? null,
    addressListValue(from),
    addressListValue(envelope.sender?.length ? envelope.sender : from),
    addressListValue(envelope.replyTo?.length ? envelope.replyTo : from),
    addressListValue(envelope.to),
    addressListValue(envelope.cc),
    addressListValue(envelope.bcc),
    envelope.inReplyTo ?? null,
    envelope.messageId ?? null,
  ];
}

function paramsValue(params: Record<string, string> | undefined): ImapValue {
  const entries = Object.entries(params ?? {});
  return entries.length === 0 ? null : entries.flat();
}

function extensionValues(part: BodyExtension): ImapValue[] {
  const disposition = part.disposition ? [part.disposition.type, paramsValue(part.disposition.params)] : null;
  const language = part.language?.length ? [...part.language] : null;
  return [disposition, language, part.location ?? null];
}

/**
 * BODYSTRUCTURE (`extensible` true) or BODY (false) of a message (RFC 9051 §7.5.2). Extension
 * data is always given in full, with NIL for what is unknown.
 */
export function bodyStructureValue(structure: BodyStructure, extensible: boolean): ImapValue {
  if ("parts" in structure) {
    if (structure.parts.length === 0) throw new RangeError("A multipart needs at least one part");
    // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]: no spaces between the parts.
    const value: ImapValue[] = [
      new ImapConcat(structure.parts.map((part) => bodyStructureValue(part, extensible))),
      structure.subtype,
    ];
    if (extensible) value.push(paramsValue(structure.params), ...extensionValues(structure));
    return value;
  }
  const part = structure;
  const value: ImapValue[] = [
    part.type,
    part.subtype,
    paramsValue(part.params),
    part.id ?? null,
    part.description ?? null,
    part.encoding,
    part.size,
  ];
  const type = part.type.toLowerCase();
  const subtype = part.subtype.toLowerCase();
  if (type === "message" && (subtype === "rfc822" || subtype === "global")) {
    if (!part.envelope || !part.body) throw new RangeError("message/rfc822 needs envelope and body");
    value.push(envelopeValue(part.envelope), bodyStructureValue(part.body, extensible), part.lines ?? 0);
  } else if (type === "text") {
    value.push(part.lines ?? 0);
  }
  if (extensible) value.push(part.md5 ?? null, ...extensionValues(part));
  return value;
}

// ─── FETCH ──────────────────────────────────────────────────────────────────────────────────────

export type FetchAttribute =
  | { name: "UID"; value: number }
  | { name: "FLAGS"; value: readonly string[] }
  | { name: "INTERNALDATE"; value: Date }
  | { name: "RFC822.SIZE"; value: number }
  | { name: "ENVELOPE"; value: Envelope }
  /** BODY is the non-extensible form of BODYSTRUCTURE. */
  | { name: "BODY" | "BODYSTRUCTURE"; value: BodyStructure }
  /** RFC 7162 §3.1.4: written `MODSEQ (n)`. */
  | { name: "MODSEQ"; value: bigint | number }
  /** RFC 8474: `EMAILID (M1)`, `THREADID (T1)` or `THREADID NIL`. */
  | { name: "EMAILID" | "THREADID"; value: string | null }
  /** RFC 8514 */
  | { name: "SAVEDATE"; value: Date | null }
  | { name: "RFC822" | "RFC822.HEADER" | "RFC822.TEXT"; value: Buffer | null }
  /** `BODY[section]<origin>`; `origin` is the partial offset when one was requested. */
  | { name: "BODY[]"; section: SectionSpec; origin?: number; value: Buffer | string | null }
  /** `BINARY[part]<origin>` (RFC 3516): literal8 when the data holds NUL, a literal otherwise. */
  | { name: "BINARY[]"; part: readonly number[]; origin?: number; value: Buffer | null }
  | { name: "BINARY.SIZE[]"; part: readonly number[]; value: number };

/** `* 12 FETCH (UID 5 FLAGS (\Seen) …)`. */
export function compileFetch(seq: number, attributes: readonly FetchAttribute[], options: CompileOptions = {}): Buffer {
  const items: ImapValue[] = [];
  for (const attribute of attributes) items.push(...fetchAttributeValues(attribute));
  return compileUntagged([seq, atom("FETCH"), items], options);
}

function fetchAttributeValues(attribute: FetchAttribute): ImapValue[] {
  switch (attribute.name) {
    case "UID":
    case "RFC822.SIZE":
      return [atom(attribute.name), attribute.value];
    case "FLAGS":
      return [atom("FLAGS"), attribute.value.map(atom)];
    case "INTERNALDATE":
      return [atom("INTERNALDATE"), formatDateTime(attribute.value)];
    case "SAVEDATE":
      return [atom("SAVEDATE"), attribute.value ? formatDateTime(attribute.value) : null];
    case "ENVELOPE":
      return [atom("ENVELOPE"), envelopeValue(attribute.value)];
    case "BODY":
    case "BODYSTRUCTURE":
      return [atom(attribute.name), bodyStructureValue(attribute.value, attribute.name === "BODYSTRUCTURE")];
    case "MODSEQ":
      return [atom("MODSEQ"), [attribute.value]];
    case "EMAILID":
    case "THREADID":
      return [atom(attribute.name), attribute.value === null ? null : [atom(attribute.value)]];
    case "RFC822":
    case "RFC822.HEADER":
    case "RFC822.TEXT":
      return [atom(attribute.name), attribute.value];
    case "BODY[]": {
      const value = typeof attribute.value === "string" ? Buffer.from(attribute.value, "utf8") : attribute.value;
      return [raw(`BODY[${formatSection(attribute.section)}]${origin(attribute.origin)}`), value];
    }
    case "BINARY[]": {
      const data = attribute.value;
      const value = data === null ? null : data.includes(0) ? literal8(data) : data;
      return [raw(`BINARY[${attribute.part.join(".")}]${origin(attribute.origin)}`), value];
    }
    case "BINARY.SIZE[]":
      return [raw(`BINARY.SIZE[${attribute.part.join(".")}]`), attribute.value];
  }
}

function origin(offset: number | undefined): string {
  return offset === undefined ? "" : `<${formatNumber(offset)}>`;
}

/** The section spec as echoed in a FETCH response, e.g. `1.HEADER.FIELDS (From To)`. */
export function formatSection(section: SectionSpec): string {
  const parts = section.part.map(formatNumber);
  if (section.text) parts.push(section.text);
  let text = parts.join(".");
  if (section.fields) {
    const names = section.fields.map((f) => (ASTRING_ATOM.test(f) ? f : compileValue(f).toString("utf8")));
    text += ` (${names.join(" ")})`;
  }
  return text;
}

const ASTRING_ATOM = /^[^\x00-\x20\x7f-\xff(){%*"\\]+$/;

const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** date-time without quotes: `17-Jul-1996 02:44:25 -0700`, in the zone `offsetMinutes` east of UTC. */
export function formatDateTime(date: Date, offsetMinutes = 0): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const sign = offsetMinutes < 0 ? "-" : "+";
  const zone = Math.abs(offsetMinutes);
  return (
    `${pad(local.getUTCDate())}-${MONTH_NAMES[local.getUTCMonth()]}-${local.getUTCFullYear()} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ` +
    `${sign}${pad(Math.floor(zone / 60))}${pad(zone % 60)}`
  );
}

// ─── Mailbox names ──────────────────────────────────────────────────────────────────────────────

/**
 * Modified UTF-7 (RFC 3501 §5.1.3): printable ASCII stands for itself except "&", written "&-";
 * anything else is UTF-16BE in modified base64 ("," for "/", no padding) between "&" and "-".
 */
export function encodeModifiedUtf7(name: string): string {
  let out = "";
  let pending = "";
  const flush = () => {
    if (!pending) return;
    const utf16 = Buffer.alloc(pending.length * 2);
    for (let i = 0; i < pending.length; i++) utf16.writeUInt16BE(pending.charCodeAt(i), i * 2);
    out += `&${utf16.toString("base64").replace(/=+$/, "").replaceAll("/", ",")}-`;
    pending = "";
  };
  for (const char of name) {
    const code = char.charCodeAt(0);
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += char === "&" ? "&-" : char;
    } else {
      pending += char;
    }
  }
  flush();
  return out;
}

/**
 * Decodes modified UTF-7; undefined when a "&" sequence is malformed or not in the one canonical
 * form the encoder produces. Other non-ASCII text passes through, for clients that send UTF-8
 * without enabling it.
 */
export function decodeModifiedUtf7(name: string): string | undefined {
  if (!name.includes("&")) return name;
  let out = "";
  let i = 0;
  while (i < name.length) {
    const amp = name.indexOf("&", i);
    if (amp === -1) {
      out += name.slice(i);
      break;
    }
    out += name.slice(i, amp);
    const dash = name.indexOf("-", amp + 1);
    if (dash === -1) return undefined;
    const encoded = name.slice(amp + 1, dash);
    i = dash + 1;
    if (encoded === "") {
      out += "&";
      continue;
    }
    const decoded = decodeModifiedBase64(encoded);
    // Canonical form only: no printable ASCII inside, no two shifts in a row, minimal base64.
    if (decoded === undefined || name[i] === "&" && name[i + 1] !== "-") return undefined;
    if (encodeModifiedUtf7(decoded) !== `&${encoded}-`) return undefined;
    out += decoded;
  }
  return out;
}

function decodeModifiedBase64(encoded: string): string | undefined {
  if (!/^[A-Za-z0-9+,]+$/.test(encoded)) return undefined;
  const bytes = Buffer.from(encoded.replaceAll(",", "/"), "base64");
  if (bytes.length === 0 || bytes.length % 2 !== 0) return undefined;
  let text = "";
  for (let j = 0; j < bytes.length; j += 2) text += String.fromCharCode(bytes.readUInt16BE(j));
  return text.isWellFormed() ? text : undefined;
}

/** A Unicode mailbox name as sent to the client: modified UTF-7, or UTF-8 unchanged in UTF-8 mode. */
export function encodeMailboxName(name: string, options: CompileOptions = {}): string {
  return options.utf8 ? name : encodeModifiedUtf7(name);
}
