// The command side of the IMAP protocol layer: RFC 9051 (IMAP4rev2), RFC 3501 (IMAP4rev1) and
// the extensions Pigeon advertises. Pure: no sockets, no database.
//
//   socket bytes ──CommandReader──▶ FramedCommand ──parseCommand──▶ ParsedCommand
//                                                    ──parseFetchArgs(…) etc.──▶ typed arguments
//
// The reader only frames commands (lines and literals) and enforces size limits without buffering
// oversized data. The tokenizer turns a frame into a generic tree of values. The typed parsers
// interpret that tree for one command each. Every syntax error is an `ImapParseError` (the session
// answers BAD); every limit violation is an `ImapLimitError`, a subclass.

import { decodeModifiedUtf7 } from "./compiler.ts";

// ─── Errors ─────────────────────────────────────────────────────────────────────────────────────

/** A malformed command. The session answers `<tag> BAD <message>`, or `* BAD` when `tag` is unknown. */
export class ImapParseError extends Error {
  readonly tag: string | undefined;
  /** A response code to put in the answer, e.g. "TOOBIG" (RFC 9051 §7.1). */
  readonly code: string | undefined;

  constructor(message: string, options: { tag?: string; code?: string } = {}) {
    super(message);
    this.name = "ImapParseError";
    this.tag = options.tag;
    this.code = options.code;
  }
}

export type LimitKind = "line" | "literal" | "command" | "depth";

/**
 * A client went over one of the `ImapLimits`. Answer `<tag> BAD [TOOBIG] …` (or `NO [TOOBIG]` for
 * a refused synchronizing APPEND literal, RFC 7889). When `fatal`, the reader no longer knows
 * where commands start: answer `* BYE` and close the connection.
 */
export class ImapLimitError extends ImapParseError {
  readonly limit: LimitKind;
  readonly fatal: boolean;

  constructor(
    limit: LimitKind,
    message: string,
    options: { tag?: string; fatal?: boolean } = {},
  ) {
    super(message, { tag: options.tag, code: limit === "depth" ? undefined : "TOOBIG" });
    this.name = "ImapLimitError";
    this.limit = limit;
    this.fatal = options.fatal ?? false;
  }
}

// ─── Framing: CommandReader ─────────────────────────────────────────────────────────────────────

export interface ImapLimits {
  /** Longest line in bytes, CRLF and literal data excluded. RFC 7162 §4 asks for at least 8192. */
  maxLineLength: number;
  /** Largest literal once authenticated (bounds APPEND; advertise it as APPENDLIMIT). */
  maxLiteralSize: number;
  /** Largest literal before authentication (LOGIN arguments). */
  maxLiteralSizeUnauthenticated: number;
  /**
   * Largest non-synchronizing `{N+}` literal: Infinity with LITERAL+, 4096 when advertising only
   * LITERAL- or plain IMAP4rev2 (RFC 7888 §4, RFC 9051 §4.3).
   */
  maxNonSyncLiteralSize: number;
  /** Largest command, lines plus literals (bounds MULTIAPPEND). */
  maxCommandSize: number;
  maxCommandSizeUnauthenticated: number;
  /** Deepest nesting of parenthesized lists. */
  maxNestingDepth: number;
}

export const DEFAULT_LIMITS: Readonly<ImapLimits> = Object.freeze({
  maxLineLength: 64 * 1024,
  maxLiteralSize: 64 * 1024 * 1024,
  maxLiteralSizeUnauthenticated: 4 * 1024,
  maxNonSyncLiteralSize: Number.POSITIVE_INFINITY,
  maxCommandSize: 128 * 1024 * 1024,
  maxCommandSizeUnauthenticated: 64 * 1024,
  maxNestingDepth: 32,
});

/**
 * One complete command as it came off the wire. `lines` exclude CRLF; every line but the last
 * ends with a literal announcement (`{N}`, `{N+}`, `~{N}`), and `literals[i]` is the data that
 * followed `lines[i]`. A single-line frame is also what a client sends after `+` in AUTHENTICATE
 * or IDLE.
 */
export interface FramedCommand {
  lines: Buffer[];
  literals: Buffer[];
  /** Bytes of lines plus literals. */
  size: number;
}

export type ReaderEvent =
  | { type: "command"; frame: FramedCommand }
  /** The client announced a synchronizing literal and waits: write `+ Ready\r\n` now. */
  | { type: "continue"; tag: string | undefined; size: number }
  /** The current command was dropped; whatever else it sends is discarded without buffering. */
  | { type: "error"; error: ImapLimitError };

type ReaderMode =
  | { kind: "line" }
  | { kind: "literal"; remaining: number }
  | { kind: "discard-line"; tail: Buffer }
  | { kind: "discard-literal"; remaining: number }
  | { kind: "closed" };

interface LiteralAnnouncement {
  size: number;
  nonSync: boolean;
  binary: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
/** Bytes kept from the end of a discarded line: enough for `~{999999999999999+}`. */
const TAIL_BYTES = 64;
const EMPTY = Buffer.alloc(0);

/**
 * Incremental command framer for a socket. `push()` what arrives, then call `next()` until it
 * returns null. Pull between commands so that state changes made by one command (authentication,
 * limits) apply to the next one; pause the socket while a command runs to bound buffered input.
 */
export class CommandReader {
  #limits: ImapLimits;
  #authenticated = false;
  #input: Buffer[] = [];
  #offset = 0;
  #mode: ReaderMode = { kind: "line" };
  // The command being assembled.
  #lines: Buffer[] = [];
  #literals: Buffer[] = [];
  #size = 0;
  #lineParts: Buffer[] = [];
  #lineLength = 0;
  #literalParts: Buffer[] = [];

  constructor(limits: Partial<ImapLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get limits(): Readonly<ImapLimits> {
    return this.#limits;
  }

  setLimits(limits: Partial<ImapLimits>): void {
    this.#limits = { ...this.#limits, ...limits };
  }

  /** Switches between the unauthenticated and authenticated literal and command limits. */
  setAuthenticated(authenticated: boolean): void {
    this.#authenticated = authenticated;
  }

  /** Bytes pushed but not yet consumed by `next()`. */
  get buffered(): number {
    let total = 0;
    for (const chunk of this.#input) total += chunk.length;
    return total - this.#offset;
  }

  push(chunk: Buffer): void {
    if (this.#mode.kind !== "closed" && chunk.length > 0) this.#input.push(chunk);
  }

  next(): ReaderEvent | null {
    for (;;) {
      if (this.#mode.kind === "closed") {
        this.#input = [];
        this.#offset = 0;
        return null;
      }
      if (this.#input.length === 0) return null;
      const event = this.#step(this.#mode);
      if (event) return event;
    }
  }

  #step(mode: Exclude<ReaderMode, { kind: "closed" }>): ReaderEvent | null {
    switch (mode.kind) {
      case "line":
        return this.#readLine();
      case "literal":
        return this.#readLiteral(mode);
      case "discard-line":
        return this.#discardLine(mode);
      case "discard-literal":
        return this.#discardLiteral(mode);
    }
  }

  #readLine(): ReaderEvent | null {
    const { piece, complete } = this.#takeLine();
    this.#lineParts.push(piece);
    this.#lineLength += piece.length;
    // +1: the CR of CRLF is only stripped once the LF has arrived.
    if (this.#lineLength > this.#limits.maxLineLength + 1) {
      return this.#abandon("line", `Line longer than ${this.#limits.maxLineLength} bytes`, complete);
    }
    if (this.#size + this.#lineLength > this.#commandLimit() + 1) {
      return this.#abandon("command", "Command too large", complete);
    }
    if (!complete) return null;

    const line = withoutCR(Buffer.concat(this.#lineParts, this.#lineLength));
    this.#lineParts = [];
    this.#lineLength = 0;
    if (line.length > this.#limits.maxLineLength) {
      return this.#abandonAfterLine("line", `Line longer than ${this.#limits.maxLineLength} bytes`, line);
    }
    if (this.#size + line.length > this.#commandLimit()) {
      return this.#abandonAfterLine("command", "Command too large", line);
    }
    this.#lines.push(line);
    this.#size += line.length;

    const announcement = findLiteralAnnouncement(line);
    if (announcement === undefined) return this.#emitCommand();
    if (announcement === "malformed") return this.#close("Unreadable literal size");
    const refusal = this.#refuseLiteral(announcement);
    if (refusal) return this.#abandonAfterLine(refusal.limit, refusal.message, line);

    this.#size += announcement.size;
    if (announcement.size === 0) this.#literals.push(EMPTY);
    else this.#mode = { kind: "literal", remaining: announcement.size };
    if (announcement.nonSync) return null;
    return { type: "continue", tag: this.#currentTag(), size: announcement.size };
  }

  #refuseLiteral(literal: LiteralAnnouncement): { limit: LimitKind; message: string } | undefined {
    const max = this.#authenticated
      ? this.#limits.maxLiteralSize
      : this.#limits.maxLiteralSizeUnauthenticated;
    if (literal.size > max) return { limit: "literal", message: `Literal larger than ${max} bytes` };
    if (literal.nonSync && literal.size > this.#limits.maxNonSyncLiteralSize) {
      // RFC 7888 §4: a too-large non-synchronizing literal is rejected with BAD [TOOBIG]; the
      // server then either closes the connection or reads and discards the data (as here).
      return {
        limit: "literal",
        message: `Non-synchronizing literal larger than ${this.#limits.maxNonSyncLiteralSize} bytes`,
      };
    }
    if (this.#size + literal.size > this.#commandLimit()) {
      return { limit: "command", message: "Command too large" };
    }
    return undefined;
  }

  #readLiteral(mode: { kind: "literal"; remaining: number }): ReaderEvent | null {
    const piece = this.#take(mode.remaining);
    this.#literalParts.push(piece);
    mode.remaining -= piece.length;
    if (mode.remaining > 0) return null;
    this.#literals.push(Buffer.concat(this.#literalParts));
    this.#literalParts = [];
    this.#mode = { kind: "line" };
    return null;
  }

  #discardLine(mode: { kind: "discard-line"; tail: Buffer }): ReaderEvent | null {
    const { piece, complete } = this.#takeLine();
    mode.tail = keepTail([mode.tail, piece]);
    if (!complete) return null;
    const next = this.#modeAfterDiscardedLine(withoutCR(mode.tail));
    if (next === "malformed") return this.#close("Unreadable literal size");
    this.#mode = next;
    return null;
  }

  #discardLiteral(mode: { kind: "discard-literal"; remaining: number }): ReaderEvent | null {
    mode.remaining -= this.#take(mode.remaining).length;
    if (mode.remaining === 0) this.#mode = { kind: "discard-line", tail: EMPTY };
    return null;
  }

  /** Reports a limit hit in the middle of a line and drops the rest of the command. */
  #abandon(limit: LimitKind, message: string, lineComplete: boolean): ReaderEvent {
    const tag = this.#currentTag();
    const tail = keepTail(this.#lineParts);
    this.#resetCommand();
    if (!lineComplete) {
      this.#mode = { kind: "discard-line", tail };
      return { type: "error", error: new ImapLimitError(limit, message, { tag }) };
    }
    return this.#abandonAfterLine(limit, message, withoutCR(tail), tag);
  }

  /** Reports a limit hit at the end of `line` and drops the rest of the command. */
  #abandonAfterLine(
    limit: LimitKind,
    message: string,
    line: Buffer,
    tag = this.#currentTag(),
  ): ReaderEvent {
    this.#resetCommand();
    const next = this.#modeAfterDiscardedLine(line);
    if (next === "malformed") return this.#close(message, tag);
    this.#mode = next;
    return { type: "error", error: new ImapLimitError(limit, message, { tag }) };
  }

  /**
   * After a dropped line: a non-synchronizing literal still arrives and is skipped; for a
   * synchronizing one the client waits for `+`, which never comes, and gives up on the command
   * once it sees the tagged answer (RFC 9051 §4.3).
   */
  #modeAfterDiscardedLine(lineEnd: Buffer): ReaderMode | "malformed" {
    const announcement = findLiteralAnnouncement(lineEnd);
    if (announcement === "malformed") return "malformed";
    if (announcement?.nonSync && announcement.size > 0) {
      return { kind: "discard-literal", remaining: announcement.size };
    }
    if (announcement?.nonSync) return { kind: "discard-line", tail: EMPTY };
    return { kind: "line" };
  }

  #close(message: string, tag = this.#currentTag()): ReaderEvent {
    this.#resetCommand();
    this.#mode = { kind: "closed" };
    return { type: "error", error: new ImapLimitError("literal", message, { tag, fatal: true }) };
  }

  #emitCommand(): ReaderEvent {
    const frame: FramedCommand = { lines: this.#lines, literals: this.#literals, size: this.#size };
    this.#resetCommand();
    return { type: "command", frame };
  }

  #resetCommand(): void {
    this.#lines = [];
    this.#literals = [];
    this.#size = 0;
    this.#lineParts = [];
    this.#lineLength = 0;
    this.#literalParts = [];
  }

  #commandLimit(): number {
    return this.#authenticated
      ? this.#limits.maxCommandSize
      : this.#limits.maxCommandSizeUnauthenticated;
  }

  #currentTag(): string | undefined {
    const first = this.#lines[0] ?? this.#lineParts[0];
    return first ? extractTag(first) : undefined;
  }

  /** Up to `max` bytes from the input, without copying. */
  #take(max: number): Buffer {
    const head = this.#input[0];
    const end = Math.min(head.length, this.#offset + max);
    const piece = head.subarray(this.#offset, end);
    this.#advanceTo(end);
    return piece;
  }

  /** Bytes up to the next LF (consumed, not returned), or all of the current chunk. */
  #takeLine(): { piece: Buffer; complete: boolean } {
    const head = this.#input[0];
    const lf = head.indexOf(LF, this.#offset);
    const end = lf === -1 ? head.length : lf;
    const piece = head.subarray(this.#offset, end);
    this.#advanceTo(lf === -1 ? end : lf + 1);
    return { piece, complete: lf !== -1 };
  }

  #advanceTo(offset: number): void {
    if (offset >= this.#input[0].length) {
      this.#input.shift();
      this.#offset = 0;
    } else {
      this.#offset = offset;
    }
  }
}

function withoutCR(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, -1) : line;
}

/** The last TAIL_BYTES of the concatenation of `parts`. */
function keepTail(parts: Buffer[]): Buffer {
  const kept: Buffer[] = [];
  let length = 0;
  for (let i = parts.length - 1; i >= 0 && length < TAIL_BYTES; i--) {
    const part = parts[i];
    const slice = part.subarray(Math.max(0, part.length - (TAIL_BYTES - length)));
    kept.unshift(slice);
    length += slice.length;
  }
  return Buffer.concat(kept, length);
}

/**
 * A literal announced at the end of a line: `{N}`, `{N+}` (RFC 7888), `~{N}` / `~{N+}` (literal8,
 * RFC 3516). "malformed" when the size has too many digits to be skipped safely.
 */
function findLiteralAnnouncement(line: Buffer): LiteralAnnouncement | "malformed" | undefined {
  if (line.length < 3 || line[line.length - 1] !== 0x7d /* } */) return undefined;
  const tail = line.subarray(Math.max(0, line.length - TAIL_BYTES)).toString("latin1");
  const match = /(~?)\{(\d{1,15})(\+?)\}$/.exec(tail);
  if (match) {
    return { binary: match[1] === "~", size: Number(match[2]), nonSync: match[3] === "+" };
  }
  return /\d{16,}\+?\}$/.test(tail) ? "malformed" : undefined;
}

/** RFC 9051 §9: tag = 1*<any ASTRING-CHAR except "+"> */
const TAG_PATTERN = /^[^\x00-\x20\x7f-\xff(){%*"\\+]+$/;

function extractTag(line: Buffer): string | undefined {
  const start = line.subarray(0, 128).toString("latin1");
  const space = start.indexOf(" ");
  const tag = space === -1 ? start : start.slice(0, space);
  return TAG_PATTERN.test(tag) ? tag : undefined;
}

// ─── Generic values: tokenizer ──────────────────────────────────────────────────────────────────

export type SeqNumber = number | "*";

/** `start` and `end` as sent: `5:3` is the same range as `3:5`, and `*` is the largest number. */
export interface SeqRange {
  start: SeqNumber;
  end: SeqNumber;
}

/** `saved` is `$`, the result of the last SEARCH with RETURN (SAVE) (RFC 5182); `ranges` is then empty. */
export interface SequenceSet {
  saved: boolean;
  ranges: SeqRange[];
}

export type SectionText = "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME";

/** `BODY[1.2.HEADER.FIELDS (From To)]` is `{ part: [1, 2], text: "HEADER.FIELDS", fields: ["From", "To"] }`. */
export interface SectionSpec {
  part: number[];
  text?: SectionText;
  fields?: string[];
}

/** `<offset.length>` of a partial FETCH. */
export interface PartialRange {
  offset: number;
  length: number;
}

export type SectionItemName = "BODY" | "BODY.PEEK" | "BINARY" | "BINARY.PEEK" | "BINARY.SIZE";

/**
 * A value of a command, before any command-specific interpretation. Bare tokens keep their `raw`
 * text so that, say, `CREATE 123` or `SELECT nil` can still be read as mailbox names.
 */
export type ImapArg =
  | { type: "atom"; value: string }
  | { type: "number"; value: number; raw: string }
  | { type: "sequence"; value: SequenceSet; raw: string }
  | { type: "nil"; raw: string }
  | { type: "string"; value: string }
  | { type: "literal"; value: Buffer; binary: boolean }
  | { type: "list"; items: ImapArg[] }
  | { type: "section"; name: SectionItemName; section: SectionSpec; partial?: PartialRange };

export interface ParsedCommand {
  tag: string;
  /** Uppercased; UID commands are "UID FETCH", "UID SEARCH", … */
  command: string;
  uid: boolean;
  args: ImapArg[];
}

const SECTION_ITEMS = new Set<string>(["BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE"]);
const SECTION_TEXTS = new Set<string>(["HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"]);
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Tokenizes a framed command into `{ tag, command, uid, args }`. Throws `ImapParseError`, or
 * `ImapLimitError` when lists nest deeper than `limits.maxNestingDepth`.
 */
export function parseCommand(
  frame: FramedCommand,
  limits: Pick<Partial<ImapLimits>, "maxNestingDepth"> = {},
): ParsedCommand {
  const lexer = new Lexer(frame, limits.maxNestingDepth ?? DEFAULT_LIMITS.maxNestingDepth);
  const tag = lexer.readTag();
  lexer.tag = tag;
  let command = lexer.readCommandName();
  let uid = false;
  if (command === "UID") {
    uid = true;
    command = `UID ${lexer.readCommandName()}`;
  }
  const args = lexer.readArguments();
  return { tag, command, uid, args };
}

/** A printable ASCII byte that may appear in an unquoted token (atoms, numbers, sets, patterns, flags). */
function isBareChar(code: number): boolean {
  return code > 0x20 && code < 0x7f && code !== 0x28 && code !== 0x29 && code !== 0x7b && code !== 0x22;
}

class Lexer {
  tag: string | undefined;
  readonly #frame: FramedCommand;
  readonly #maxDepth: number;
  #line = 0;
  #text: string;
  #pos = 0;
  #depth = 0;

  constructor(frame: FramedCommand, maxDepth: number) {
    this.#frame = frame;
    this.#maxDepth = maxDepth;
    // latin1 maps each byte to one char, so positions are byte offsets.
    this.#text = frame.lines[0]?.toString("latin1") ?? "";
  }

  fail(message: string): never {
    throw new ImapParseError(message, { tag: this.tag });
  }

  get #atEnd(): boolean {
    return this.#line >= this.#frame.lines.length - 1 && this.#pos >= this.#text.length;
  }

  #peek(): string {
    return this.#text[this.#pos] ?? "";
  }

  readTag(): string {
    if (this.#frame.lines.length === 1 && this.#text.trim() === "") this.fail("Empty command");
    const space = this.#text.indexOf(" ");
    const tag = space === -1 ? this.#text : this.#text.slice(0, space);
    if (!TAG_PATTERN.test(tag)) this.fail("Invalid tag");
    this.#pos = tag.length;
    return tag;
  }

  readCommandName(): string {
    if (this.#peek() !== " ") this.fail("Missing command");
    this.#pos++;
    const start = this.#pos;
    while (this.#pos < this.#text.length && /[A-Za-z0-9.\-_]/.test(this.#text[this.#pos])) this.#pos++;
    if (this.#pos === start) this.fail("Missing command");
    const next = this.#peek();
    if (next !== "" && next !== " ") this.fail("Invalid command name");
    return this.#text.slice(start, this.#pos).toUpperCase();
  }

  readArguments(): ImapArg[] {
    if (this.#atEnd) return [];
    if (this.#peek() !== " ") this.fail("Expected space after command");
    return this.#readItems(false);
  }

  /** Space-separated values up to ")" (inList) or the end of the command. */
  #readItems(inList: boolean): ImapArg[] {
    const items: ImapArg[] = [];
    for (;;) {
      const spaced = this.#skipSpaces();
      if (inList && this.#peek() === ")") return items;
      if (this.#atEnd) {
        if (inList) this.fail("Missing )");
        return items;
      }
      if (items.length > 0 && !spaced) this.fail("Expected space between arguments");
      items.push(this.#readValue());
    }
  }

  #skipSpaces(): boolean {
    const start = this.#pos;
    while (this.#text[this.#pos] === " ") this.#pos++;
    return this.#pos > start;
  }

  #readValue(): ImapArg {
    const c = this.#peek();
    if (c === "(") return this.#readList();
    if (c === '"') return { type: "string", value: this.#readQuoted() };
    if (c === "{" || (c === "~" && this.#text[this.#pos + 1] === "{")) return this.#readLiteral();
    if (c === ")") this.fail("Unexpected )");
    return this.#readBare();
  }

  #readList(): ImapArg {
    if (++this.#depth > this.#maxDepth) {
      throw new ImapLimitError("depth", `Lists nested deeper than ${this.#maxDepth}`, { tag: this.tag });
    }
    this.#pos++; // (
    const items = this.#readItems(true);
    this.#pos++; // )
    this.#depth--;
    return { type: "list", items };
  }

  /** RFC 9051 §4.3: quoted strings escape only `\` and `"`; they may hold UTF-8 but not CR, LF or NUL. */
  #readQuoted(): string {
    const text = this.#text;
    let value = "";
    let start = this.#pos + 1;
    let i = start;
    for (;;) {
      const c = text[i];
      if (c === undefined) this.fail("Unterminated quoted string");
      if (c === '"') break;
      if (c === "\\") {
        const escaped = text[i + 1];
        if (escaped !== "\\" && escaped !== '"') this.fail("Invalid escape in quoted string");
        value += text.slice(start, i) + escaped;
        i += 2;
        start = i;
        continue;
      }
      if (c === "\r" || c === "\0") this.fail("Invalid character in quoted string");
      i++;
    }
    value += text.slice(start, i);
    this.#pos = i + 1;
    if (!/[^\x00-\x7f]/.test(value)) return value;
    const decoded = decodeUtf8(Buffer.from(value, "latin1"));
    if (decoded === undefined) this.fail("Invalid UTF-8 in quoted string");
    return decoded;
  }

  #readLiteral(): ImapArg {
    const match = /^(~?)\{(\d+)(\+?)\}$/.exec(this.#text.slice(this.#pos));
    if (!match) this.fail("Invalid literal");
    const data = this.#frame.literals[this.#line];
    const nextLine = this.#frame.lines[this.#line + 1];
    if (data === undefined || nextLine === undefined || data.length !== Number(match[2])) {
      this.fail("Literal data missing");
    }
    this.#line++;
    this.#text = nextLine.toString("latin1");
    this.#pos = 0;
    return { type: "literal", value: data, binary: match[1] === "~" };
  }

  #readBare(): ImapArg {
    const text = this.#text;
    const start = this.#pos;
    let i = start;
    while (i < text.length && isBareChar(text.charCodeAt(i))) {
      if (text[i] === "[" && SECTION_ITEMS.has(text.slice(start, i).toUpperCase())) {
        this.#pos = i;
        return this.#readSection(text.slice(start, i).toUpperCase() as SectionItemName);
      }
      i++;
    }
    if (i < text.length && text.charCodeAt(i) >= 0x80) this.fail("8-bit characters must be quoted");
    if (i === start) this.fail("Unexpected character");
    this.#pos = i;
    return classifyBare(text.slice(start, i));
  }

  /** `BODY[…]<o.l>`, RFC 9051 §9 fetch-att; the section may hold a list of header names. */
  #readSection(name: SectionItemName): ImapArg {
    this.#pos++; // [
    const start = this.#pos;
    while (this.#pos < this.#text.length && !"] ".includes(this.#text[this.#pos])) this.#pos++;
    const section = parseSectionSpec(this.#text.slice(start, this.#pos));
    if (!section) this.fail(`Invalid section in ${name}`);
    if (name.startsWith("BINARY") && section.text) this.fail(`${name} takes only part numbers`);
    if (section.text === "HEADER.FIELDS" || section.text === "HEADER.FIELDS.NOT") {
      if (this.#peek() !== " ") this.fail("Expected header field list");
      this.#pos++;
      if (this.#peek() !== "(") this.fail("Expected header field list");
      const list = this.#readList();
      if (list.type !== "list" || list.items.length === 0) this.fail("Empty header field list");
      section.fields = list.items.map((item) => astringOf(item) ?? this.fail("Invalid header field name"));
    }
    if (this.#peek() !== "]") this.fail("Expected ]");
    this.#pos++;
    const partial = this.#readPartial(name);
    return partial ? { type: "section", name, section, partial } : { type: "section", name, section };
  }

  #readPartial(name: SectionItemName): PartialRange | undefined {
    if (this.#peek() !== "<") return undefined;
    const match = /^<(\d{1,15})\.(\d{1,15})>/.exec(this.#text.slice(this.#pos));
    if (!match || name === "BINARY.SIZE") this.fail("Invalid partial range");
    const length = Number(match[2]);
    if (length === 0) this.fail("Partial length must be positive");
    this.#pos += match[0].length;
    return { offset: Number(match[1]), length };
  }
}

function classifyBare(raw: string): ImapArg {
  if (/^\d+$/.test(raw)) {
    const value = Number(raw);
    if (Number.isSafeInteger(value)) return { type: "number", value, raw };
  }
  if (raw.toUpperCase() === "NIL") return { type: "nil", raw };
  const set = tryParseSequenceSet(raw);
  if (set) return { type: "sequence", value: set, raw };
  return { type: "atom", value: raw };
}

/** `1.2.HEADER` → { part: [1, 2], text: "HEADER" }; undefined when invalid. */
function parseSectionSpec(spec: string): SectionSpec | undefined {
  if (spec === "") return { part: [] };
  const segments = spec.split(".");
  const part: number[] = [];
  let i = 0;
  while (i < segments.length && /^[1-9]\d{0,8}$/.test(segments[i])) part.push(Number(segments[i++]));
  if (i === segments.length) return { part };
  const text = segments.slice(i).join(".").toUpperCase();
  if (!SECTION_TEXTS.has(text)) return undefined;
  // section-text: MIME only follows a part number (RFC 9051 §9).
  if (text === "MIME" && part.length === 0) return undefined;
  return { part, text: text as SectionText };
}

function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

// ─── Sequence sets ──────────────────────────────────────────────────────────────────────────────

const MAX_UINT32 = 0xffffffff;

function tryParseSequenceSet(raw: string): SequenceSet | undefined {
  if (raw === "$") return { saved: true, ranges: [] };
  const ranges: SeqRange[] = [];
  for (const item of raw.split(",")) {
    const match = /^(\d{1,10}|\*)(?::(\d{1,10}|\*))?$/.exec(item);
    if (!match) return undefined;
    const start = seqNumber(match[1]);
    const end = match[2] === undefined ? start : seqNumber(match[2]);
    if (start === undefined || end === undefined) return undefined;
    ranges.push({ start, end });
  }
  return { saved: false, ranges };
}

function seqNumber(text: string): SeqNumber | undefined {
  if (text === "*") return "*";
  const n = Number(text);
  return n >= 1 && n <= MAX_UINT32 ? n : undefined;
}

/** Parses `1:*,3,5:7` or `$`. Throws ImapParseError. */
export function parseSequenceSet(text: string): SequenceSet {
  const set = tryParseSequenceSet(text);
  if (!set) throw new ImapParseError(`Invalid sequence set: ${text.slice(0, 40)}`);
  return set;
}

/**
 * Resolves `*` to `largest` (the highest sequence number or UID in the mailbox), orders each range
 * and merges overlapping ones. Numbers are not clipped to what exists. `$` must be replaced by the
 * saved result before calling this.
 */
export function resolveSequenceSet(set: SequenceSet, largest: number): Array<{ start: number; end: number }> {
  if (set.saved) throw new Error("resolveSequenceSet: substitute the saved search result for $ first");
  const ranges = set.ranges
    .map(({ start, end }) => {
      const a = start === "*" ? largest : start;
      const b = end === "*" ? largest : end;
      return { start: Math.min(a, b), end: Math.max(a, b) };
    })
    .sort((x, y) => x.start - y.start);
  const merged: Array<{ start: number; end: number }> = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range.start <= last.end + 1) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

// ─── Typed arguments: shared reading ────────────────────────────────────────────────────────────

/** RFC 9051 §9 ASTRING-CHAR: ATOM-CHAR plus "]". */
const ASTRING_ATOM = /^[^\x00-\x20\x7f-\xff(){%*"\\]+$/;
const ATOM = /^[^\x00-\x20\x7f-\xff(){%*"\\\]]+$/;
/** list-char: ATOM-CHAR, list-wildcards and resp-specials. */
const LIST_ATOM = /^[^\x00-\x20\x7f-\xff(){"\\]+$/;

function rawOf(arg: ImapArg): string | undefined {
  switch (arg.type) {
    case "atom":
      return arg.value;
    case "number":
    case "sequence":
    case "nil":
      return arg.raw;
    default:
      return undefined;
  }
}

/** A string (quoted or literal) or an atom-like token read as text. */
function astringOf(arg: ImapArg, pattern = ASTRING_ATOM): string | undefined {
  if (arg.type === "string") return arg.value;
  if (arg.type === "literal") return arg.binary ? undefined : decodeUtf8(arg.value);
  const raw = rawOf(arg);
  return raw !== undefined && pattern.test(raw) ? raw : undefined;
}

const SYSTEM_FLAGS = new Map(
  ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "\\Recent"].map((f) => [f.toUpperCase(), f]),
);

/** flag = system flag (canonical case) / keyword atom / "\" atom (RFC 9051 §9). */
function flagOf(arg: ImapArg): string | undefined {
  const raw = rawOf(arg);
  if (raw === undefined) return undefined;
  if (raw.startsWith("\\")) {
    if (!ATOM.test(raw.slice(1))) return undefined;
    return SYSTEM_FLAGS.get(raw.toUpperCase()) ?? raw;
  }
  return ATOM.test(raw) ? raw : undefined;
}

export interface MailboxNameOptions {
  /** The client enabled UTF8=ACCEPT (or IMAP4rev2): names are UTF-8, not modified UTF-7. */
  utf8?: boolean;
}

/**
 * A mailbox name as the client sent it, decoded to Unicode (modified UTF-7 unless UTF-8 mode),
 * with INBOX case-normalized (RFC 9051 §5.1).
 */
export function decodeMailboxName(name: string, options: MailboxNameOptions = {}, tag?: string): string {
  let decoded = name;
  if (!options.utf8) {
    const result = decodeModifiedUtf7(name);
    if (result === undefined) throw new ImapParseError("Invalid modified UTF-7 in mailbox name", { tag });
    decoded = result;
  }
  return decoded.toUpperCase() === "INBOX" ? "INBOX" : decoded;
}

/** A cursor over the values of a command (or of a list), with one reader per grammar element. */
class Args {
  readonly #items: ImapArg[];
  readonly tag: string | undefined;
  #index = 0;

  constructor(items: ImapArg[], tag: string | undefined) {
    this.#items = items;
    this.tag = tag;
  }

  fail(message: string): never {
    throw new ImapParseError(message, { tag: this.tag });
  }

  get done(): boolean {
    return this.#index >= this.#items.length;
  }

  get remaining(): number {
    return this.#items.length - this.#index;
  }

  peek(): ImapArg | undefined {
    return this.#items[this.#index];
  }

  /** The next value uppercased when it is a bare token, e.g. a keyword like CHARSET. */
  peekKeyword(): string | undefined {
    const next = this.peek();
    return next ? rawOf(next)?.toUpperCase() : undefined;
  }

  take(what: string): ImapArg {
    const next = this.#items[this.#index++];
    if (!next) this.fail(`Missing ${what}`);
    return next;
  }

  end(): void {
    if (!this.done) this.fail("Unexpected extra arguments");
  }

  list(what: string): Args {
    const next = this.take(what);
    if (next.type !== "list") this.fail(`Expected parenthesized ${what}`);
    return new Args(next.items, this.tag);
  }

  keyword(what: string): string {
    const raw = rawOf(this.take(what));
    if (raw === undefined) this.fail(`Expected ${what}`);
    return raw.toUpperCase();
  }

  astring(what: string): string {
    return astringOf(this.take(what)) ?? this.fail(`Invalid ${what}`);
  }

  /** string = quoted / literal. */
  string(what: string): string {
    const next = this.take(what);
    if (next.type !== "string" && next.type !== "literal") this.fail(`Expected string for ${what}`);
    return astringOf(next) ?? this.fail(`Invalid ${what}`);
  }

  nstring(what: string): string | null {
    if (this.peek()?.type === "nil") {
      this.#index++;
      return null;
    }
    return this.string(what);
  }

  mailbox(options: MailboxNameOptions): string {
    return decodeMailboxName(this.astring("mailbox name"), options, this.tag);
  }

  /**
   * mod-sequence-value (RFC 7162 §7): up to 2^63-1. Values above 2^53-1, which Pigeon never
   * issues, are clamped to Number.MAX_SAFE_INTEGER: every comparison with a real modseq (CHANGEDSINCE,
   * UNCHANGEDSINCE, SEARCH MODSEQ, QRESYNC) then comes out the same.
   */
  modseq(what: string, { min = 0 } = {}): number {
    const raw = rawOf(this.take(what));
    if (raw === undefined || !/^\d{1,19}$/.test(raw)) this.fail(`Invalid ${what}`);
    const value = BigInt(raw);
    if (value < BigInt(min) || value > MAX_MODSEQ) this.fail(`Invalid ${what}`);
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
  }

  /** number (RFC 9051 §9): 32-bit unsigned. */
  number(what: string, { min = 0, max = MAX_UINT32 } = {}): number {
    const next = this.take(what);
    if (next.type !== "number" || next.value < min || next.value > max) this.fail(`Invalid ${what}`);
    return next.value;
  }

  sequenceSet(what = "sequence set"): SequenceSet {
    const next = this.take(what);
    if (next.type === "sequence") return next.value;
    if (next.type === "number" && next.value >= 1 && next.value <= MAX_UINT32) {
      return { saved: false, ranges: [{ start: next.value, end: next.value }] };
    }
    return this.fail(`Invalid ${what}`);
  }

  flag(): string {
    return flagOf(this.take("flag")) ?? this.fail("Invalid flag");
  }
}

function argsOf(cmd: ParsedCommand): Args {
  return new Args(cmd.args, cmd.tag);
}

const MAX_MODSEQ = 2n ** 63n - 1n;

/** Flags for STORE and APPEND: \Recent is not settable (RFC 3501 §2.3.2). */
function storableFlags(args: Args): string[] {
  const flags: string[] = [];
  while (!args.done) {
    const flag = args.flag();
    if (flag === "\\Recent") args.fail("\\Recent cannot be set");
    flags.push(flag);
  }
  return flags;
}

// ─── Dates ──────────────────────────────────────────────────────────────────────────────────────

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

function validDay(year: number, month: number, day: number): boolean {
  return day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * A SEARCH date, `1-Feb-1994` (RFC 9051 §9 date), as a calendar date "1994-02-01": SEARCH ignores
 * time and timezone. Returns undefined when invalid.
 */
export function parseSearchDate(text: string): string | undefined {
  const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  if (!match) return undefined;
  const day = Number(match[1]);
  const month = MONTHS.indexOf(match[2].toUpperCase()) + 1;
  const year = Number(match[3]);
  if (month === 0 || !validDay(year, month, day)) return undefined;
  return `${match[3]}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** An APPEND date-time, `01-Feb-1994 21:21:21 -0800` (RFC 9051 §9 date-time). Undefined when invalid. */
export function parseDateTime(text: string): Date | undefined {
  // date-day-fixed is " 1" or "01"; a bare "1" is accepted too.
  const match = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [, d, mon, y, hh, mm, ss, sign, zh, zm] = match;
  const day = Number(d);
  const month = MONTHS.indexOf(mon.toUpperCase()) + 1;
  const year = Number(y);
  if (month === 0 || !validDay(year, month, day)) return undefined;
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 60 || Number(zm) > 59) return undefined;
  const offset = (sign === "-" ? -1 : 1) * (Number(zh) * 60 + Number(zm));
  const utc = Date.UTC(year, month - 1, day, Number(hh), Number(mm), Math.min(Number(ss), 59));
  return new Date(utc - offset * 60_000);
}

// ─── Commands without arguments, client continuation lines ─────────────────────────────────────

/** CAPABILITY, NOOP, LOGOUT, STARTTLS, NAMESPACE, CHECK, CLOSE, UNSELECT, EXPUNGE, IDLE. */
export function parseNoArgs(cmd: ParsedCommand): void {
  argsOf(cmd).end();
}

function singleLine(frame: FramedCommand): string | undefined {
  return frame.lines.length === 1 ? frame.lines[0].toString("latin1") : undefined;
}

/** The `DONE` line that ends IDLE (RFC 2177; case-insensitive like every keyword). */
export function isIdleDone(frame: FramedCommand): boolean {
  return singleLine(frame)?.toUpperCase() === "DONE";
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A client's answer to an AUTHENTICATE challenge: the decoded bytes, or "cancel" for `*`
 * (RFC 9051 §6.2.2; the session then answers BAD).
 */
export function parseAuthenticateResponse(frame: FramedCommand): Buffer | "cancel" {
  const line = singleLine(frame);
  if (line === "*") return "cancel";
  if (line === undefined || !BASE64.test(line)) throw new ImapParseError("Invalid base64 in SASL response");
  return Buffer.from(line, "base64");
}

// ─── Not authenticated ──────────────────────────────────────────────────────────────────────────

export interface LoginArgs {
  username: string;
  password: string;
}

export function parseLoginArgs(cmd: ParsedCommand): LoginArgs {
  const args: Args = argsOf(cmd);
  const username = args.astring("user name");
  const password = args.astring("password");
  args.end();
  return { username, password };
}

export interface AuthenticateArgs {
  /** Uppercased SASL mechanism, e.g. "PLAIN". */
  mechanism: string;
  /** SASL-IR (RFC 4959) initial response, decoded; `=` is an empty response. */
  initialResponse?: Buffer;
}

export function parseAuthenticateArgs(cmd: ParsedCommand): AuthenticateArgs {
  const args: Args = argsOf(cmd);
  const mechanism = args.keyword("SASL mechanism");
  if (args.done) return { mechanism };
  const response = rawOf(args.take("initial response"));
  args.end();
  if (response === "=") return { mechanism, initialResponse: Buffer.alloc(0) };
  if (response === undefined || !BASE64.test(response)) args.fail("Invalid base64 initial response");
  return { mechanism, initialResponse: Buffer.from(response, "base64") };
}

// ─── Authenticated: mailboxes ───────────────────────────────────────────────────────────────────

export interface QresyncParams {
  uidValidity: number;
  modseq: number;
  knownUids?: SequenceSet;
  /** Pairs of message sequence numbers and the UIDs the client believes they have. */
  seqMatch?: { seqs: SequenceSet; uids: SequenceSet };
}

export interface SelectArgs {
  mailbox: string;
  /** Set for (CONDSTORE) and implied by (QRESYNC …) (RFC 7162 §3.2.5). */
  condstore: boolean;
  qresync?: QresyncParams;
}

/** SELECT and EXAMINE, with optional (CONDSTORE) or (QRESYNC (…)) (RFC 7162 §3.1.8, §3.2.5). */
export function parseSelectArgs(cmd: ParsedCommand, options: MailboxNameOptions = {}): SelectArgs {
  const args: Args = argsOf(cmd);
  const result: SelectArgs = { mailbox: args.mailbox(options), condstore: false };
  if (!args.done) {
    const params = args.list("select parameters");
    while (!params.done) {
      const name = params.keyword("select parameter");
      if (name === "CONDSTORE") result.condstore = true;
      else if (name === "QRESYNC" && !result.qresync) {
        result.qresync = parseQresyncParams(params.list("QRESYNC parameters"));
        result.condstore = true;
      } else params.fail(`Unknown or repeated select parameter ${name}`);
    }
  }
  args.end();
  return result;
}

function parseQresyncParams(args: Args): QresyncParams {
  const result: QresyncParams = {
    uidValidity: args.number("UIDVALIDITY", { min: 1 }),
    modseq: args.modseq("mod-sequence", { min: 1 }),
  };
  const next = args.peek();
  if (next && (next.type === "sequence" || next.type === "number")) {
    result.knownUids = args.sequenceSet("known UIDs");
    if (result.knownUids.saved || result.knownUids.ranges.some((r) => r.start === "*" || r.end === "*")) {
      args.fail("Known UIDs may not contain * or $");
    }
  }
  if (!args.done) {
    const match = args.list("sequence match data");
    result.seqMatch = { seqs: match.sequenceSet(), uids: match.sequenceSet() };
    match.end();
  }
  args.end();
  return result;
}

export interface MailboxArgs {
  mailbox: string;
}

/** DELETE, SUBSCRIBE, UNSUBSCRIBE, GETQUOTAROOT. */
export function parseMailboxArgs(cmd: ParsedCommand, options: MailboxNameOptions = {}): MailboxArgs {
  const args: Args = argsOf(cmd);
  const mailbox = args.mailbox(options);
  args.end();
  return { mailbox };
}

export interface CreateArgs {
  mailbox: string;
  /** CREATE-SPECIAL-USE (RFC 6154 §3): `CREATE x (USE (\Sent))`. */
  specialUse: string[];
}

export function parseCreateArgs(cmd: ParsedCommand, options: MailboxNameOptions = {}): CreateArgs {
  const args: Args = argsOf(cmd);
  const result: CreateArgs = { mailbox: args.mailbox(options), specialUse: [] };
  if (!args.done) {
    const params = args.list("create parameters");
    while (!params.done) {
      const name = params.keyword("create parameter");
      if (name !== "USE") params.fail(`Unknown create parameter ${name}`);
      const uses = params.list("special-use attributes");
      while (!uses.done) result.specialUse.push(uses.flag());
    }
  }
  args.end();
  return result;
}

export interface RenameArgs {
  from: string;
  to: string;
}

export function parseRenameArgs(cmd: ParsedCommand, options: MailboxNameOptions = {}): RenameArgs {
  const args: Args = argsOf(cmd);
  const from = args.mailbox(options);
  const to = args.mailbox(options);
  args.end();
  return { from, to };
}

export type StatusItem =
  | "MESSAGES"
  | "RECENT"
  | "UIDNEXT"
  | "UIDVALIDITY"
  | "UNSEEN"
  | "DELETED"
  | "SIZE"
  | "HIGHESTMODSEQ"
  | "MAILBOXID"
  | "APPENDLIMIT";

const STATUS_ITEMS = new Set<string>([
  "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "HIGHESTMODSEQ", "MAILBOXID", "APPENDLIMIT",
]);

function statusItems(args: Args): StatusItem[] {
  const items: StatusItem[] = [];
  if (args.done) args.fail("Empty status item list");
  while (!args.done) {
    const item = args.keyword("status item");
    if (!STATUS_ITEMS.has(item)) args.fail(`Unknown status item ${item}`);
    if (!items.includes(item as StatusItem)) items.push(item as StatusItem);
  }
  return items;
}

export interface StatusArgs {
  mailbox: string;
  items: StatusItem[];
}

export function parseStatusArgs(cmd: ParsedCommand, options: MailboxNameOptions = {}): StatusArgs {
  const args: Args = argsOf(cmd);
  const mailbox = args.mailbox(options);
  const items = statusItems(args.list("status items"));
  args.end();
  return { mailbox, items };
}

export interface ListArgs {
  /** Mailbox names, decoded; the reference is not INBOX-normalized. */
  reference: string;
  /** One pattern for basic LIST; LIST-EXTENDED allows several. `*` and `%` are wildcards. */
  patterns: string[];
  /** RFC 5258 §3 selection options (and SPECIAL-USE, RFC 6154 §5.1). */
  select: { subscribed: boolean; remote: boolean; recursiveMatch: boolean; specialUse: boolean };
  /** RFC 5258 §3 return options, RFC 6154 SPECIAL-USE, RFC 5819 STATUS. */
  return: { subscribed: boolean; children: boolean; specialUse: boolean; status?: StatusItem[] };
  /** The client used extended syntax: answer with extended LIST responses (CHILDINFO etc.). */
  extended: boolean;
}

export function parseListArgs(cmd: ParsedCommand, options: MailboxNameOptions = {}): ListArgs {
  const args: Args = argsOf(cmd);
  const result: ListArgs = {
    reference: "",
    patterns: [],
    select: { subscribed: false, remote: false, recursiveMatch: false, specialUse: false },
    return: { subscribed: false, children: false, specialUse: false },
    extended: false,
  };
  if (args.peek()?.type === "list") {
    result.extended = true;
    parseListSelectOptions(args.list("selection options"), result.select);
  }
  const reference = astringOf(args.take("reference name")) ?? args.fail("Invalid reference name");
  result.reference = options.utf8 ? reference : decodeListName(reference, args);
  if (args.peek()?.type === "list") {
    result.extended = true;
    const patterns = args.list("mailbox patterns");
    if (patterns.done) patterns.fail("Empty pattern list");
    while (!patterns.done) result.patterns.push(listPattern(patterns, options));
  } else {
    result.patterns.push(listPattern(args, options));
  }
  if (!args.done) {
    if (args.keyword("RETURN") !== "RETURN") args.fail("Expected RETURN");
    result.extended = true;
    parseListReturnOptions(args.list("return options"), result.return);
  }
  args.end();
  return result;
}

function decodeListName(name: string, args: Args): string {
  return decodeModifiedUtf7(name) ?? args.fail("Invalid modified UTF-7 in mailbox name");
}

function listPattern(args: Args, options: MailboxNameOptions): string {
  const pattern = astringOf(args.take("mailbox pattern"), LIST_ATOM) ?? args.fail("Invalid mailbox pattern");
  return options.utf8 ? pattern : decodeListName(pattern, args);
}

function parseListSelectOptions(args: Args, select: ListArgs["select"]): void {
  while (!args.done) {
    const option = args.keyword("selection option");
    if (option === "SUBSCRIBED") select.subscribed = true;
    else if (option === "REMOTE") select.remote = true;
    else if (option === "RECURSIVEMATCH") select.recursiveMatch = true;
    else if (option === "SPECIAL-USE") select.specialUse = true;
    // RFC 5258 §3: unrecognized options are a BAD, not silently ignored.
    else args.fail(`Unknown selection option ${option}`);
  }
  // RFC 5258 §3.1: RECURSIVEMATCH needs another selection option to modify.
  if (select.recursiveMatch && !select.subscribed && !select.specialUse) {
    args.fail("RECURSIVEMATCH requires another selection option");
  }
}

function parseListReturnOptions(args: Args, options: ListArgs["return"]): void {
  while (!args.done) {
    const option = args.keyword("return option");
    if (option === "SUBSCRIBED") options.subscribed = true;
    else if (option === "CHILDREN") options.children = true;
    else if (option === "SPECIAL-USE") options.specialUse = true;
    else if (option === "STATUS" && !options.status) options.status = statusItems(args.list("status items"));
    else args.fail(`Unknown return option ${option}`);
  }
}

export interface LsubArgs {
  reference: string;
  pattern: string;
}

export function parseLsubArgs(cmd: ParsedCommand, options: MailboxNameOptions = {}): LsubArgs {
  const args: Args = argsOf(cmd);
  const reference = astringOf(args.take("reference name")) ?? args.fail("Invalid reference name");
  const pattern = listPattern(args, options);
  args.end();
  return { reference: options.utf8 ? reference : decodeListName(reference, args), pattern };
}

export interface AppendMessage {
  flags: string[];
  internalDate?: Date;
  message: Buffer;
  /** Sent as literal8 `~{N}` (RFC 3516 §4.4): may contain NUL and binary content. */
  binary: boolean;
}

export interface AppendArgs {
  mailbox: string;
  /** Several with MULTIAPPEND (RFC 3502). */
  messages: AppendMessage[];
}

export function parseAppendArgs(cmd: ParsedCommand, options: MailboxNameOptions = {}): AppendArgs {
  const args: Args = argsOf(cmd);
  const mailbox = args.mailbox(options);
  const messages: AppendMessage[] = [];
  do {
    const message: AppendMessage = { flags: [], message: EMPTY, binary: false };
    if (args.peek()?.type === "list") message.flags = storableFlags(args.list("flags"));
    if (args.peek()?.type === "string") {
      const text = args.string("date-time");
      message.internalDate = parseDateTime(text) ?? args.fail(`Invalid date-time: ${text}`);
    }
    const data = args.take("message literal");
    if (data.type !== "literal") args.fail("Message must be a literal");
    message.message = data.value;
    message.binary = data.binary;
    messages.push(message);
  } while (!args.done);
  return { mailbox, messages };
}

export interface GetQuotaArgs {
  root: string;
}

export function parseGetQuotaArgs(cmd: ParsedCommand): GetQuotaArgs {
  const args: Args = argsOf(cmd);
  const root = args.astring("quota root");
  args.end();
  return { root };
}

export interface EnableArgs {
  /** Uppercased, e.g. ["CONDSTORE", "UTF8=ACCEPT"]. */
  capabilities: string[];
}

export function parseEnableArgs(cmd: ParsedCommand): EnableArgs {
  const args: Args = argsOf(cmd);
  const capabilities: string[] = [];
  do capabilities.push(args.keyword("capability"));
  while (!args.done);
  return { capabilities };
}

export interface IdArgs {
  /** null for `ID NIL`; field names as sent (RFC 2971 §3.3). */
  params: Record<string, string | null> | null;
}

export function parseIdArgs(cmd: ParsedCommand): IdArgs {
  const args: Args = argsOf(cmd);
  if (args.peek()?.type === "nil") {
    args.take("NIL");
    args.end();
    return { params: null };
  }
  const list = args.list("ID parameters");
  args.end();
  const params: Record<string, string | null> = Object.create(null);
  while (!list.done) {
    const field = list.string("ID field name");
    params[field] = list.nstring("ID field value");
  }
  return { params };
}

// ─── Selected: messages ─────────────────────────────────────────────────────────────────────────

export type SimpleFetchItem =
  | "FLAGS"
  | "INTERNALDATE"
  | "RFC822"
  | "RFC822.HEADER"
  | "RFC822.TEXT"
  | "RFC822.SIZE"
  | "ENVELOPE"
  | "BODY"
  | "BODYSTRUCTURE"
  | "UID"
  | "MODSEQ"
  | "EMAILID"
  | "THREADID"
  | "SAVEDATE";

export type FetchItem =
  | { name: SimpleFetchItem }
  /** BODY[section]<partial>; `peek` for BODY.PEEK, which does not set \Seen. */
  | { name: "BODY[]"; section: SectionSpec; peek: boolean; partial?: PartialRange }
  /** BINARY[part]<partial> (RFC 3516): the part decoded from its transfer encoding. */
  | { name: "BINARY[]"; part: number[]; peek: boolean; partial?: PartialRange }
  | { name: "BINARY.SIZE[]"; part: number[] };

export interface FetchArgs {
  sequence: SequenceSet;
  uid: boolean;
  items: FetchItem[];
  /** CHANGEDSINCE modifier (RFC 7162 §3.1.4). */
  changedSince?: number;
  /** VANISHED modifier (RFC 7162 §3.2.6). */
  vanished: boolean;
}

const SIMPLE_FETCH_ITEMS = new Set<string>([
  "FLAGS", "INTERNALDATE", "RFC822", "RFC822.HEADER", "RFC822.TEXT", "RFC822.SIZE", "ENVELOPE", "BODY",
  "BODYSTRUCTURE", "UID", "MODSEQ", "EMAILID", "THREADID", "SAVEDATE",
]);

const FETCH_MACROS = new Map<string, SimpleFetchItem[]>([
  ["ALL", ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"]],
  ["FAST", ["FLAGS", "INTERNALDATE", "RFC822.SIZE"]],
  ["FULL", ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"]],
]);

export function parseFetchArgs(cmd: ParsedCommand): FetchArgs {
  const args: Args = argsOf(cmd);
  const result: FetchArgs = { sequence: args.sequenceSet(), uid: cmd.uid, items: [], vanished: false };
  const first = args.take("fetch items");
  const macro = first.type === "atom" ? FETCH_MACROS.get(first.value.toUpperCase()) : undefined;
  if (macro) result.items = macro.map((name) => ({ name }));
  else if (first.type === "list") {
    if (first.items.length === 0) args.fail("Empty fetch item list");
    result.items = first.items.map((item) => fetchItemOf(item, args));
  } else result.items = [fetchItemOf(first, args)];

  if (!args.done) parseFetchModifiers(args.list("fetch modifiers"), result);
  args.end();

  // RFC 7162 §3.2.6: VANISHED only with UID FETCH and CHANGEDSINCE.
  if (result.vanished && (!cmd.uid || result.changedSince === undefined)) {
    args.fail("VANISHED requires UID FETCH with CHANGEDSINCE");
  }
  // RFC 9051 §6.4.9: UID FETCH responses always carry UID; RFC 7162 §3.1.4.1: CHANGEDSINCE implies MODSEQ.
  if (cmd.uid) ensureFetchItem(result.items, "UID");
  if (result.changedSince !== undefined) ensureFetchItem(result.items, "MODSEQ");
  return result;
}

function ensureFetchItem(items: FetchItem[], name: SimpleFetchItem): void {
  if (!items.some((item) => item.name === name)) items.push({ name });
}

function fetchItemOf(arg: ImapArg, args: Args): FetchItem {
  if (arg.type === "section") {
    const partial = arg.partial ? { partial: arg.partial } : {};
    switch (arg.name) {
      case "BODY":
      case "BODY.PEEK":
        return { name: "BODY[]", section: arg.section, peek: arg.name === "BODY.PEEK", ...partial };
      case "BINARY":
      case "BINARY.PEEK":
        return { name: "BINARY[]", part: arg.section.part, peek: arg.name === "BINARY.PEEK", ...partial };
      case "BINARY.SIZE":
        return { name: "BINARY.SIZE[]", part: arg.section.part };
    }
  }
  const name = rawOf(arg)?.toUpperCase();
  if (name === undefined || !SIMPLE_FETCH_ITEMS.has(name)) args.fail(`Unknown fetch item ${name ?? ""}`.trim());
  return { name: name as SimpleFetchItem };
}

function parseFetchModifiers(args: Args, result: FetchArgs): void {
  while (!args.done) {
    const modifier = args.keyword("fetch modifier");
    if (modifier === "CHANGEDSINCE" && result.changedSince === undefined) {
      result.changedSince = args.modseq("mod-sequence");
    } else if (modifier === "VANISHED" && !result.vanished) {
      result.vanished = true;
    } else args.fail(`Unknown or repeated fetch modifier ${modifier}`);
  }
}

export interface StoreArgs {
  sequence: SequenceSet;
  uid: boolean;
  /** "set" for FLAGS, "add" for +FLAGS, "remove" for -FLAGS. */
  action: "set" | "add" | "remove";
  silent: boolean;
  flags: string[];
  /** UNCHANGEDSINCE modifier (RFC 7162 §3.1.3); 0 is allowed. */
  unchangedSince?: number;
}

export function parseStoreArgs(cmd: ParsedCommand): StoreArgs {
  const args: Args = argsOf(cmd);
  const sequence = args.sequenceSet();
  let unchangedSince: number | undefined;
  if (args.peek()?.type === "list") {
    const modifiers = args.list("store modifiers");
    while (!modifiers.done) {
      const name = modifiers.keyword("store modifier");
      if (name !== "UNCHANGEDSINCE" || unchangedSince !== undefined) modifiers.fail(`Unknown store modifier ${name}`);
      unchangedSince = modifiers.modseq("mod-sequence");
    }
  }
  const operation = /^([+-]?)FLAGS(\.SILENT)?$/.exec(args.keyword("store operation"));
  if (!operation) args.fail("Expected FLAGS, +FLAGS or -FLAGS");
  // store-att-flags: a flag list, or flags separated by spaces (RFC 9051 §9).
  let flags: string[];
  if (args.peek()?.type === "list") flags = storableFlags(args.list("flags"));
  else if (args.done) args.fail("Missing flags");
  else flags = storableFlags(args);
  args.end();
  const action = operation[1] === "+" ? "add" : operation[1] === "-" ? "remove" : "set";
  const result: StoreArgs = { sequence, uid: cmd.uid, action, silent: operation[2] !== undefined, flags };
  if (unchangedSince !== undefined) result.unchangedSince = unchangedSince;
  return result;
}

export interface CopyArgs {
  sequence: SequenceSet;
  uid: boolean;
  mailbox: string;
}

/** COPY, MOVE (RFC 6851) and their UID forms. */
export function parseCopyArgs(cmd: ParsedCommand, options: MailboxNameOptions = {}): CopyArgs {
  const args: Args = argsOf(cmd);
  const sequence = args.sequenceSet();
  const mailbox = args.mailbox(options);
  args.end();
  return { sequence, uid: cmd.uid, mailbox };
}

export interface ExpungeArgs {
  /** UID EXPUNGE (RFC 4315 §2.1) only; absent for EXPUNGE. */
  uids?: SequenceSet;
}

export function parseExpungeArgs(cmd: ParsedCommand): ExpungeArgs {
  const args: Args = argsOf(cmd);
  if (!cmd.uid) {
    args.end();
    return {};
  }
  const uids = args.sequenceSet("UID set");
  args.end();
  return { uids };
}

// ─── SEARCH, SORT, THREAD ───────────────────────────────────────────────────────────────────────

export type SearchKey =
  | { type: "all" }
  | { type: "and"; keys: SearchKey[] }
  | { type: "or"; left: SearchKey; right: SearchKey }
  | { type: "not"; key: SearchKey }
  | { type: "seq"; set: SequenceSet }
  | { type: "uid"; set: SequenceSet }
  /** ANSWERED, UNSEEN, KEYWORD x, … RECENT is `\Recent`; NEW and OLD are expanded to it. */
  | { type: "flag"; flag: string; present: boolean }
  | { type: "contains"; field: ContainsField; value: string }
  | { type: "header"; name: string; value: string }
  /** Calendar dates "YYYY-MM-DD"; internal = INTERNALDATE, sent = Date header, saved = SAVEDATE (RFC 8514). */
  | { type: "date"; field: "internal" | "sent" | "saved"; op: "before" | "on" | "since"; date: string }
  | { type: "size"; op: "larger" | "smaller"; size: number }
  /** RFC 7162 §3.1.5; `entry` names a flag's metadata item, e.g. "/flags/\\draft". */
  | { type: "modseq"; modseq: number; entry?: { name: string; type: "priv" | "shared" | "all" } }
  | { type: "emailid"; id: string }
  | { type: "threadid"; id: string }
  /** OLDER / YOUNGER (RFC 5032): INTERNALDATE relative to now, in seconds. */
  | { type: "age"; op: "older" | "younger"; seconds: number }
  | { type: "savedatesupported" };

/** FROM, SUBJECT, … and BODY / TEXT: substring match, case-insensitive (RFC 9051 §6.4.4). */
export type ContainsField = "BCC" | "BODY" | "CC" | "FROM" | "SUBJECT" | "TEXT" | "TO";

export type SearchReturnOption = "MIN" | "MAX" | "ALL" | "COUNT" | "SAVE";

export interface SearchArgs {
  uid: boolean;
  /** ESEARCH (RFC 4731). Absent: answer `* SEARCH`. `RETURN ()` means ["ALL"]. */
  returnOptions?: SearchReturnOption[];
  /** Uppercased; the session answers NO [BADCHARSET] for anything but UTF-8 and US-ASCII. */
  charset?: string;
  key: SearchKey;
}

/** OR and NOT nest without parentheses; this bounds that recursion. */
const MAX_SEARCH_DEPTH = 256;
const SEARCH_RETURN_OPTIONS = new Set<string>(["MIN", "MAX", "ALL", "COUNT", "SAVE"]);
const OBJECT_ID = /^[A-Za-z0-9_-]{1,255}$/;

export function parseSearchArgs(cmd: ParsedCommand): SearchArgs {
  const args: Args = argsOf(cmd);
  const result: SearchArgs = { uid: cmd.uid, key: { type: "all" } };
  if (args.peekKeyword() === "RETURN") {
    args.take("RETURN");
    result.returnOptions = searchReturnOptions(args.list("return options"));
  }
  if (args.peekKeyword() === "CHARSET") {
    args.take("CHARSET");
    result.charset = args.astring("charset").toUpperCase();
  }
  result.key = parseSearchKeys(args);
  return result;
}

function searchReturnOptions(args: Args): SearchReturnOption[] {
  const options: SearchReturnOption[] = [];
  while (!args.done) {
    const option = args.keyword("return option");
    if (!SEARCH_RETURN_OPTIONS.has(option)) args.fail(`Unknown search return option ${option}`);
    if (!options.includes(option as SearchReturnOption)) options.push(option as SearchReturnOption);
  }
  // RFC 4731 §3.1: RETURN () is the same as RETURN (ALL).
  return options.length > 0 ? options : ["ALL"];
}

/** The rest of `args` as search keys, ANDed. */
function parseSearchKeys(args: Args, depth = 0): SearchKey {
  const keys: SearchKey[] = [];
  do keys.push(parseSearchKey(args, depth));
  while (!args.done);
  return keys.length === 1 ? keys[0] : { type: "and", keys };
}

/** Keys testing a flag: X is `{ flag, present: true }`, UNX (except RECENT) `present: false`. */
const FLAG_KEYS = new Map([
  ["ANSWERED", "\\Answered"],
  ["DELETED", "\\Deleted"],
  ["DRAFT", "\\Draft"],
  ["FLAGGED", "\\Flagged"],
  ["SEEN", "\\Seen"],
  ["RECENT", "\\Recent"],
]);
const CONTAINS_KEYS = new Set<string>(["BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO"]);
type DateKey = Pick<Extract<SearchKey, { type: "date" }>, "field" | "op">;
const DATE_KEYS = new Map<string, DateKey>([
  ["BEFORE", { field: "internal", op: "before" }],
  ["ON", { field: "internal", op: "on" }],
  ["SINCE", { field: "internal", op: "since" }],
  ["SENTBEFORE", { field: "sent", op: "before" }],
  ["SENTON", { field: "sent", op: "on" }],
  ["SENTSINCE", { field: "sent", op: "since" }],
  // SAVEDATE (RFC 8514 §4.3)
  ["SAVEDBEFORE", { field: "saved", op: "before" }],
  ["SAVEDON", { field: "saved", op: "on" }],
  ["SAVEDSINCE", { field: "saved", op: "since" }],
]);

/** One search-key (RFC 9051 §6.4.4, RFC 3501 §6.4.4 and extensions). */
function parseSearchKey(args: Args, depth: number): SearchKey {
  if (depth > MAX_SEARCH_DEPTH) {
    throw new ImapLimitError("depth", "Search criteria nested too deeply", { tag: args.tag });
  }
  const arg = args.take("search key");
  if (arg.type === "list") {
    const group = new Args(arg.items, args.tag);
    if (group.done) args.fail("Empty search group");
    return parseSearchKeys(group, depth + 1);
  }
  if (arg.type === "sequence" || arg.type === "number") {
    if (arg.type === "number" && (arg.value < 1 || arg.value > MAX_UINT32)) args.fail("Invalid sequence number");
    const set = arg.type === "sequence" ? arg.value : { saved: false, ranges: [{ start: arg.value, end: arg.value }] };
    return { type: "seq", set };
  }
  const name = rawOf(arg)?.toUpperCase() ?? args.fail("Expected search key");

  const flag = FLAG_KEYS.get(name);
  if (flag) return { type: "flag", flag, present: true };
  const unflag = name.startsWith("UN") && name !== "UNRECENT" ? FLAG_KEYS.get(name.slice(2)) : undefined;
  if (unflag) return { type: "flag", flag: unflag, present: false };
  if (CONTAINS_KEYS.has(name)) {
    return { type: "contains", field: name as ContainsField, value: args.astring(`${name} string`) };
  }
  const dateKey = DATE_KEYS.get(name);
  if (dateKey) return { type: "date", ...dateKey, date: searchDate(args) };

  switch (name) {
    case "ALL":
      return { type: "all" };
    // RFC 3501 §6.4.4: NEW is RECENT UNSEEN; OLD is NOT RECENT.
    case "NEW":
      return {
        type: "and",
        keys: [
          { type: "flag", flag: "\\Recent", present: true },
          { type: "flag", flag: "\\Seen", present: false },
        ],
      };
    case "OLD":
      return { type: "flag", flag: "\\Recent", present: false };
    case "KEYWORD":
    case "UNKEYWORD": {
      const keyword = flagOf(args.take("keyword"));
      if (keyword === undefined || keyword.startsWith("\\")) args.fail("Invalid keyword");
      return { type: "flag", flag: keyword, present: name === "KEYWORD" };
    }
    case "HEADER":
      return { type: "header", name: args.astring("header name"), value: args.astring("header value") };
    case "LARGER":
    case "SMALLER":
      return { type: "size", op: name === "LARGER" ? "larger" : "smaller", size: args.number("size") };
    case "UID":
      return { type: "uid", set: args.sequenceSet("UID set") };
    case "NOT":
      return { type: "not", key: parseSearchKey(args, depth + 1) };
    case "OR": {
      const left = parseSearchKey(args, depth + 1);
      return { type: "or", left, right: parseSearchKey(args, depth + 1) };
    }
    case "MODSEQ":
      return parseModseqKey(args);
    case "EMAILID":
    case "THREADID": {
      const id = rawOf(args.take("object id"));
      if (id === undefined || !OBJECT_ID.test(id)) args.fail("Invalid object id");
      return { type: name === "EMAILID" ? "emailid" : "threadid", id };
    }
    case "OLDER":
    case "YOUNGER":
      return { type: "age", op: name === "OLDER" ? "older" : "younger", seconds: args.number("interval", { min: 1 }) };
    case "SAVEDATESUPPORTED":
      return { type: "savedatesupported" };
    default:
      return args.fail(`Unknown search key ${name}`);
  }
}

function searchDate(args: Args): string {
  const arg = args.take("date");
  const text = arg.type === "string" ? arg.value : rawOf(arg);
  return (text !== undefined ? parseSearchDate(text) : undefined) ?? args.fail("Invalid date");
}

/** RFC 7162 §3.1.5: MODSEQ ["/flags/<flag>" priv|shared|all] <mod-sequence-valzer>. */
function parseModseqKey(args: Args): SearchKey {
  if (args.peek()?.type === "string") {
    const name = args.string("entry name");
    if (!/^\/flags\/\\?[^\x00-\x20\x7f-\xff(){%*"\\\]]+$/.test(name)) args.fail("Invalid MODSEQ entry name");
    const type = args.keyword("entry type").toLowerCase();
    if (type !== "priv" && type !== "shared" && type !== "all") args.fail("Invalid MODSEQ entry type");
    return { type: "modseq", modseq: args.modseq("mod-sequence"), entry: { name, type } };
  }
  return { type: "modseq", modseq: args.modseq("mod-sequence") };
}

export type SortKey = "ARRIVAL" | "CC" | "DATE" | "FROM" | "SIZE" | "SUBJECT" | "TO" | "DISPLAYFROM" | "DISPLAYTO";

export interface SortCriterion {
  key: SortKey;
  reverse: boolean;
}

export interface SortArgs {
  uid: boolean;
  /** ESORT (RFC 5267). */
  returnOptions?: SearchReturnOption[];
  criteria: SortCriterion[];
  charset: string;
  key: SearchKey;
}

/** RFC 5256 SORT; DISPLAYFROM / DISPLAYTO from RFC 5957. */
const SORT_KEYS = new Set(["ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"]);

export function parseSortArgs(cmd: ParsedCommand): SortArgs {
  const args: Args = argsOf(cmd);
  let returnOptions: SearchReturnOption[] | undefined;
  if (args.peekKeyword() === "RETURN") {
    args.take("RETURN");
    returnOptions = searchReturnOptions(args.list("return options"));
  }
  const list: Args = args.list("sort criteria");
  const criteria: SortCriterion[] = [];
  while (!list.done) {
    let key = list.keyword("sort key");
    const reverse = key === "REVERSE";
    if (reverse) key = list.keyword("sort key");
    if (!SORT_KEYS.has(key)) list.fail(`Unknown sort key ${key}`);
    criteria.push({ key: key as SortKey, reverse });
  }
  if (criteria.length === 0) args.fail("Empty sort criteria");
  const charset = args.astring("charset").toUpperCase();
  const result: SortArgs = { uid: cmd.uid, criteria, charset, key: parseSearchKeys(args) };
  if (returnOptions) result.returnOptions = returnOptions;
  return result;
}

export interface ThreadArgs {
  uid: boolean;
  algorithm: "REFERENCES" | "ORDEREDSUBJECT";
  charset: string;
  key: SearchKey;
}

export function parseThreadArgs(cmd: ParsedCommand): ThreadArgs {
  const args: Args = argsOf(cmd);
  const algorithm = args.keyword("thread algorithm");
  if (algorithm !== "REFERENCES" && algorithm !== "ORDEREDSUBJECT") args.fail(`Unknown thread algorithm ${algorithm}`);
  const charset = args.astring("charset").toUpperCase();
  return { uid: cmd.uid, algorithm, charset, key: parseSearchKeys(args) };
}
