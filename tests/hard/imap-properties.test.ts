import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  atom,
  compileFetch,
  compileList,
  compileSequenceSet,
  compileStatus,
  compileUntagged,
  compileValue,
  decodeModifiedUtf7,
  encodeModifiedUtf7,
  formatSection,
  literal8,
  type FetchAttribute,
  type ImapValue,
} from "../../lib/imap/compiler.ts";
import {
  CommandReader,
  ImapParseError,
  decodeMailboxName,
  parseCommand,
  parseFetchArgs,
  parseListArgs,
  parseSearchArgs,
  parseSelectArgs,
  parseSequenceSet,
  parseSortArgs,
  parseStoreArgs,
  parseThreadArgs,
  parseAppendArgs,
  parseStatusArgs,
  resolveSequenceSet,
  type FetchItem,
  type FramedCommand,
  type ImapArg,
  type ReaderEvent,
  type SearchKey,
} from "../../lib/imap/parser.ts";

// Issue 12, item 5 (IMAP): fast-check properties of the pure protocol layer. Values, sequence
// sets, search keys, fetch items and mailbox names survive compile → frame → parse; the reader
// frames the same commands however TCP splits the bytes; no input makes anything but
// ImapParseError come out of the parsers, in bounded time; compiled responses never carry a CR
// or LF outside literals (no response injection).

const NUM_RUNS = Number(process.env.HARD_FC_RUNS ?? 300);

/** Frames `bytes` (one command) with a reader, feeding it in the given chunk sizes. */
function frames(bytes: Buffer, chunkSizes: number[] = [], reader = new CommandReader()): ReaderEvent[] {
  const events: ReaderEvent[] = [];
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const size = chunkSizes.length ? Math.max(1, chunkSizes[k++ % chunkSizes.length]) : bytes.length;
    reader.push(bytes.subarray(i, i + size));
    i += size;
    for (let e = reader.next(); e; e = reader.next()) events.push(e);
  }
  return events;
}

function commandOf(text: Buffer): FramedCommand {
  const cmds = frames(text).filter((e) => e.type === "command");
  expect(cmds).toHaveLength(1);
  return (cmds[0] as Extract<ReaderEvent, { type: "command" }>).frame;
}

/** A parsed value as plain data (strings and literals alike as text, Buffers for literal8). */
function plain(arg: ImapArg): unknown {
  switch (arg.type) {
    case "string":
      return arg.value;
    case "literal":
      return arg.binary ? { bytes: [...arg.value] } : arg.value.toString("utf8");
    case "number":
      return arg.value;
    case "nil":
      return null;
    case "atom":
      return { atom: arg.value };
    case "list":
      return arg.items.map(plain);
    default:
      return { other: arg.type };
  }
}

// ─── Values ────────────────────────────────────────────────────────────────────────────────────

const text = fc.string({ unit: "grapheme", maxLength: 40 }).filter((s) => s.isWellFormed() && !s.includes("\0"));
const nasty = fc.stringMatching(/^[\r\n"\\ (){}%*~\]\[a-z0-9\x7f-\xff]{0,30}$/).filter((s) => !s.includes("\0"));
const atomText = fc.stringMatching(/^[A-Za-z][A-Za-z-]{0,15}$/).filter((s) => s.toUpperCase() !== "NIL");

type Value = null | number | string | Buffer | { atom: string } | { bytes: number[] } | Value[];
const value: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.nat(),
    text,
    nasty,
    atomText.map((a) => ({ atom: a })),
    fc.uint8Array({ maxLength: 50 }).map((b) => Buffer.from(b)),
    fc.uint8Array({ maxLength: 20 }).map((b) => ({ bytes: [...b] })),
    fc.array(tie("v"), { maxLength: 5 }),
  ),
})).v;

function toImap(v: Value): ImapValue {
  if (v === null || typeof v === "number" || typeof v === "string" || Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map(toImap);
  if ("atom" in v) return atom(v.atom);
  return literal8(Buffer.from(v.bytes));
}

function expected(v: Value): unknown {
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  if (Array.isArray(v)) return v.map(expected);
  return v;
}

describe("values: compile → frame → parse", () => {
  it("gives back every value, in ASCII and UTF-8 mode, however the bytes are split", () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 }), (values, utf8, chunks) => {
        // Buffers must be UTF-8 to compare as text; others compare as bytes (literal8).
        fc.pre(values.every(function ok(v: Value): boolean {
          return Buffer.isBuffer(v) ? Buffer.from(v.toString("utf8")).equals(v) : Array.isArray(v) ? v.every(ok) : true;
        }));
        const bytes = Buffer.concat([Buffer.from("t1 X "), ...values.flatMap((v, i) => [i ? Buffer.from(" ") : Buffer.alloc(0), compileValue(toImap(v), { utf8 })]), Buffer.from("\r\n")]);
        const events = frames(bytes, chunks);
        const cmd = events.find((e) => e.type === "command") as Extract<ReaderEvent, { type: "command" }>;
        expect(events.filter((e) => e.type === "error")).toEqual([]);
        const parsed = parseCommand(cmd.frame);
        expect(parsed.args.map(plain)).toEqual(values.map(expected));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("frames the same commands whatever the chunking", () => {
    const command = fc.oneof(
      fc.constantFrom("a NOOP", "b LOGIN {5}\r\nalice {3+}\r\npw!", "c FETCH 1:* (BODY.PEEK[1.HEADER.FIELDS (From To)]<0.100>)", "d APPEND INBOX ~{4+}\r\n\0\0\0\0", "e IDLE", "DONE"),
      fc.array(value, { maxLength: 4 }).map((vs) => `f X ${vs.map((v) => compileValue(toImap(v)).toString("latin1")).join(" ")}`),
    );
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 8 }), (cmds, chunks) => {
        const bytes = Buffer.from(cmds.map((c) => c + "\r\n").join(""), "latin1");
        const whole = frames(bytes).filter((e) => e.type !== "continue");
        const split = frames(bytes, chunks).filter((e) => e.type !== "continue");
        expect(JSON.stringify(split)).toBe(JSON.stringify(whole));
        expect(whole.filter((e) => e.type === "command")).toHaveLength(cmds.length);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// ─── Sequence sets, mailbox names ──────────────────────────────────────────────────────────────

describe("sequence sets and mailbox names", () => {
  it("a set of numbers compiles to a sequence set that resolves to the same numbers", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 0xffffffff }), { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 40 }), (big, small) => {
        for (const numbers of [big, small]) {
          const ranges = resolveSequenceSet(parseSequenceSet(compileSequenceSet(numbers)), 0xffffffff);
          const unique = [...new Set(numbers)].sort((a, b) => a - b);
          const covered = ranges.reduce((n, r) => n + (r.end - r.start + 1), 0);
          expect(covered).toBe(unique.length);
          for (const n of unique) expect(ranges.some((r) => r.start <= n && n <= r.end)).toBe(true);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("modified UTF-7 round-trips every well-formed name, and the server decodes what it encodes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 30 }).filter((s) => s.isWellFormed()), (name) => {
        const encoded = encodeModifiedUtf7(name);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeModifiedUtf7(encoded)).toBe(name);
        if (name && !/[\0\r\n]/.test(name)) {
          const cmd = parseCommand(commandOf(Buffer.concat([Buffer.from("s SELECT "), compileValue(encoded), Buffer.from("\r\n")])));
          expect(parseSelectArgs(cmd).mailbox).toBe(decodeMailboxName(encoded));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// ─── SEARCH keys, FETCH items ──────────────────────────────────────────────────────────────────

const seqSet = fc.array(fc.tuple(fc.integer({ min: 1, max: 0xffffffff }), fc.integer({ min: 1, max: 0xffffffff })), { minLength: 1, maxLength: 4 }).map((rs) => ({
  saved: false,
  ranges: rs.map(([start, end]) => ({ start, end })),
}));
const searchString = fc.string({ unit: "grapheme", minLength: 0, maxLength: 20 }).filter((s) => s.isWellFormed() && !s.includes("\0"));

const searchKey: fc.Arbitrary<SearchKey> = fc.letrec<{ k: SearchKey }>((tie) => ({
  k: fc.oneof(
    { depthSize: "small" },
    fc.constant({ type: "all" } as SearchKey),
    fc.record({ type: fc.constant("flag" as const), flag: fc.constantFrom("\\Seen", "\\Answered", "\\Deleted", "\\Flagged", "\\Draft", "$Junk", "work"), present: fc.boolean() }),
    fc.record({ type: fc.constant("contains" as const), field: fc.constantFrom("BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO" as const), value: searchString }),
    fc.record({ type: fc.constant("header" as const), name: fc.stringMatching(/^[A-Za-z-]{1,20}$/), value: searchString }),
    fc.record({ type: fc.constant("size" as const), op: fc.constantFrom("larger" as const, "smaller" as const), size: fc.nat() }),
    fc.record({ type: fc.constant("uid" as const), set: seqSet }),
    fc.record({ type: fc.constant("seq" as const), set: seqSet }),
    fc.record({ type: fc.constant("not" as const), key: tie("k") }),
    fc.record({ type: fc.constant("or" as const), left: tie("k"), right: tie("k") }),
    fc.record({ type: fc.constant("and" as const), keys: fc.array(tie("k"), { minLength: 2, maxLength: 4 }) }),
  ),
})).k;

const SYSTEM = new Map([["\\Seen", "SEEN"], ["\\Answered", "ANSWERED"], ["\\Deleted", "DELETED"], ["\\Flagged", "FLAGGED"], ["\\Draft", "DRAFT"]]);

function renderKey(k: SearchKey): Buffer[] {
  const s = (x: string) => [Buffer.from(" "), compileValue(x, { utf8: true })];
  switch (k.type) {
    case "all":
      return [Buffer.from("ALL")];
    case "flag": {
      const sys = SYSTEM.get(k.flag);
      return [Buffer.from(sys ? `${k.present ? "" : "UN"}${sys}` : `${k.present ? "KEYWORD" : "UNKEYWORD"} ${k.flag}`)];
    }
    case "contains":
      return [Buffer.from(k.field), ...s(k.value)];
    case "header":
      return [Buffer.from("HEADER"), ...s(k.name), ...s(k.value)];
    case "size":
      return [Buffer.from(`${k.op.toUpperCase()} ${k.size}`)];
    case "uid":
      return [Buffer.from(`UID ${compileSequenceSet(k.set)}`)];
    case "seq":
      return [Buffer.from(compileSequenceSet(k.set))];
    case "not":
      return [Buffer.from("NOT "), ...renderKey(k.key)];
    case "or":
      return [Buffer.from("OR "), ...renderKey(k.left), Buffer.from(" "), ...renderKey(k.right)];
    case "and":
      return [Buffer.from("("), ...k.keys.flatMap((x, i) => [...(i ? [Buffer.from(" ")] : []), ...renderKey(x)]), Buffer.from(")")];
    default:
      throw new Error(k.type);
  }
}

const section = fc.oneof(
  fc.record({ part: fc.array(fc.integer({ min: 1, max: 999 }), { maxLength: 3 }) }),
  fc.record({ part: fc.array(fc.integer({ min: 1, max: 99 }), { maxLength: 3 }), text: fc.constantFrom("HEADER" as const, "TEXT" as const) }),
  fc.record({ part: fc.array(fc.integer({ min: 1, max: 99 }), { minLength: 1, maxLength: 3 }), text: fc.constant("MIME" as const) }),
  fc.record({
    part: fc.array(fc.integer({ min: 1, max: 99 }), { maxLength: 2 }),
    text: fc.constantFrom("HEADER.FIELDS" as const, "HEADER.FIELDS.NOT" as const),
    fields: fc.array(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/), { minLength: 1, maxLength: 4 }),
  }),
);
const partial = fc.option(fc.record({ offset: fc.nat({ max: 1e9 }), length: fc.integer({ min: 1, max: 1e9 }) }), { nil: undefined });
const fetchItem: fc.Arbitrary<FetchItem> = fc.oneof(
  fc.constantFrom("FLAGS", "INTERNALDATE", "RFC822", "RFC822.HEADER", "RFC822.TEXT", "RFC822.SIZE", "ENVELOPE", "BODY", "BODYSTRUCTURE", "UID", "MODSEQ", "EMAILID", "THREADID", "SAVEDATE" as const).map((name) => ({ name }) as FetchItem),
  fc.record({ name: fc.constant("BODY[]" as const), section, peek: fc.boolean(), partial }).map((x) => (x.partial ? x : { name: x.name, section: x.section, peek: x.peek })),
  fc.record({ name: fc.constant("BINARY[]" as const), part: fc.array(fc.integer({ min: 1, max: 99 }), { maxLength: 3 }), peek: fc.boolean(), partial }).map((x) =>
    x.partial ? x : { name: x.name, part: x.part, peek: x.peek },
  ),
  fc.record({ name: fc.constant("BINARY.SIZE[]" as const), part: fc.array(fc.integer({ min: 1, max: 99 }), { maxLength: 3 }) }),
);

function renderFetchItem(item: FetchItem): string {
  const p = (x?: { offset: number; length: number }) => (x ? `<${x.offset}.${x.length}>` : "");
  if (item.name === "BODY[]") return `BODY${item.peek ? ".PEEK" : ""}[${formatSection(item.section)}]${p(item.partial)}`;
  if (item.name === "BINARY[]") return `BINARY${item.peek ? ".PEEK" : ""}[${item.part.join(".")}]${p(item.partial)}`;
  if (item.name === "BINARY.SIZE[]") return `BINARY.SIZE[${item.part.join(".")}]`;
  return item.name;
}

describe("SEARCH and FETCH arguments", () => {
  it("a search key rendered as IMAP parses back to the same key", () => {
    fc.assert(
      fc.property(searchKey, fc.boolean(), (key, uid) => {
        const bytes = Buffer.concat([Buffer.from(`t ${uid ? "UID " : ""}SEARCH CHARSET UTF-8 `), ...renderKey(key), Buffer.from("\r\n")]);
        const args = parseSearchArgs(parseCommand(commandOf(bytes)));
        expect(args.charset).toBe("UTF-8");
        expect(args.uid).toBe(uid);
        expect(args.key).toEqual(key);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("fetch items rendered as IMAP parse back to the same items", () => {
    fc.assert(
      fc.property(seqSet, fc.array(fetchItem, { minLength: 1, maxLength: 6 }), (set, items) => {
        const bytes = Buffer.from(`t FETCH ${compileSequenceSet(set)} (${items.map(renderFetchItem).join(" ")})\r\n`);
        const args = parseFetchArgs(parseCommand(commandOf(bytes)));
        expect(args.items).toEqual(items);
        expect(args.sequence).toEqual(set);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// ─── Robustness and time ───────────────────────────────────────────────────────────────────────

const TYPED = [parseFetchArgs, parseSearchArgs, parseStoreArgs, parseSelectArgs, parseListArgs, parseSortArgs, parseThreadArgs, parseAppendArgs, parseStatusArgs];
const TOKENS = ["(", ")", " ", "{3}\r\nabc", "{0}\r\n", "~{2}\r\n\0\0", "{4+}\r\nabcd", '"q\\"x"', "NIL", "1:*", "$", "*", "BODY[", "BODY.PEEK[1.MIME]<0.5>", "]", "<", "HEADER.FIELDS", "OR", "NOT", "UID", "CHARSET", "UTF-8", "RETURN", "\\Seen", "+FLAGS.SILENT", "INBOX", "&Jjo-", "&", "\r", "\x80", "%", "MODSEQ", '"/flags/\\\\seen"', "4294967296", "99999999999999999999", "(((((((((("];

describe("no input breaks the parsers", () => {
  it("arbitrary bytes and token soups yield frames, limit errors or ImapParseError only, quickly", () => {
    let slowest = 0;
    fc.assert(
      fc.property(
        fc.constantFrom("FETCH", "UID FETCH", "SEARCH", "UID SEARCH", "STORE", "SELECT", "LIST", "SORT", "THREAD", "APPEND", "STATUS", "LOGIN", "AUTHENTICATE"),
        fc.oneof(fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((t) => t.join(" ")), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1"))),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 }),
        (command, rest, authenticated, chunks) => {
          const t0 = performance.now();
          const reader = new CommandReader({ maxLineLength: 4096, maxLiteralSize: 1024, maxCommandSize: 8192, maxNestingDepth: 8 });
          reader.setAuthenticated(authenticated);
          for (const e of frames(Buffer.from(`t1 ${command} ${rest}\r\n`, "latin1"), chunks, reader)) {
            if (e.type !== "command") continue;
            try {
              const parsed = parseCommand(e.frame, { maxNestingDepth: 8 });
              for (const typed of TYPED) {
                try {
                  typed(parsed);
                } catch (err) {
                  if (!(err instanceof ImapParseError)) throw err;
                }
              }
            } catch (err) {
              if (!(err instanceof ImapParseError)) throw err;
            }
          }
          slowest = Math.max(slowest, performance.now() - t0);
        },
      ),
      { numRuns: NUM_RUNS * 5 },
    );
    console.log(`IMAP parser fuzz: ${NUM_RUNS * 5} inputs, slowest ${slowest.toFixed(2)} ms`);
    expect(slowest).toBeLessThan(250);
  });

  it("pathological commands parse in bounded time", () => {
    const cases: [string, Buffer][] = [
      ["64 KB of (", Buffer.from("t ID " + "(".repeat(65_000) + "\r\n")],
      ["64 KB of NOT", Buffer.from("t SEARCH " + "NOT ".repeat(16_000) + "ALL\r\n")],
      ["64 KB of OR", Buffer.from("t SEARCH " + "OR ALL ".repeat(9_000) + "ALL\r\n")],
      ["10,000 ranges", Buffer.from("t FETCH " + Array.from({ length: 10_000 }, (_, i) => `${i + 1}:${i + 2}`).join(",").slice(0, 60_000) + " FLAGS\r\n")],
      ["1,000 literals", Buffer.from("t X " + "{1+}\r\na ".repeat(1000) + "\r\n")],
      ["60 KB quoted with escapes", Buffer.from('t LOGIN "' + '\\"'.repeat(30_000) + '" x\r\n')],
      ["60 KB header field list", Buffer.from("t FETCH 1 BODY[HEADER.FIELDS (" + "X-A ".repeat(15_000) + ")]\r\n")],
    ];
    for (const [name, bytes] of cases) {
      const t0 = performance.now();
      const reader = new CommandReader({ maxLineLength: 64 * 1024 });
      reader.setAuthenticated(true);
      for (const e of frames(bytes, [1460], reader)) {
        if (e.type !== "command") continue;
        try {
          const parsed = parseCommand(e.frame);
          for (const typed of TYPED) {
            try {
              typed(parsed);
            } catch (err) {
              if (!(err instanceof ImapParseError)) throw err;
            }
          }
        } catch (err) {
          if (!(err instanceof ImapParseError)) throw err;
        }
      }
      const ms = performance.now() - t0;
      console.log(`IMAP pathological input, ${name}: ${ms.toFixed(1)} ms`);
      expect(ms, name).toBeLessThan(1000);
    }
  });
});

// ─── No response injection ─────────────────────────────────────────────────────────────────────

/** The response's bytes outside literals, which must be one line. */
function outsideLiterals(bytes: Buffer): string {
  let out = "";
  let i = 0;
  const s = bytes.toString("latin1");
  while (i < s.length) {
    const m = /~?\{(\d+)\}\r\n/y;
    m.lastIndex = i;
    const hit = m.exec(s);
    if (hit) {
      out += "{L}";
      i += hit[0].length + Number(hit[1]);
      continue;
    }
    out += s[i++];
  }
  return out;
}

describe("compiled responses", () => {
  it("never carry CR or LF outside literals, whatever the strings in them", () => {
    const anyText = fc.string({ maxLength: 60 }).map((s) => s + "\r\n* 1 EXISTS\r\n");
    fc.assert(
      fc.property(anyText, anyText, fc.boolean(), fc.array(anyText, { maxLength: 4 }), (t1, t2, utf8, strings) => {
        const responses = [
          compileStatus({ tag: "a1", status: "NO", text: t1 }, { utf8 }),
          compileStatus({ status: "BYE", code: "ALERT", text: t2 }, { utf8 }),
          compileList({ attributes: ["\\HasNoChildren"], delimiter: "/", mailbox: t1 }, { utf8 }),
          compileUntagged(["X", ...strings, [t1, null, 3]], { utf8 }),
          compileFetch(1, [{ name: "UID", value: 1 }, { name: "FLAGS", value: ["\\Seen"] }] as FetchAttribute[], { utf8 }),
        ];
        for (const r of responses) {
          const outside = outsideLiterals(r);
          expect(outside.endsWith("\r\n")).toBe(true);
          expect(outside.slice(0, -2)).not.toMatch(/[\r\n]/);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
