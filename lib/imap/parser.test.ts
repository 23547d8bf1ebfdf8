import { describe, expect, it } from "vitest";
import {
  CommandReader,
  DEFAULT_LIMITS,
  ImapLimitError,
  ImapParseError,
  isIdleDone,
  parseAppendArgs,
  parseAuthenticateArgs,
  parseAuthenticateResponse,
  parseCommand,
  parseCopyArgs,
  parseCreateArgs,
  parseDateTime,
  parseEnableArgs,
  parseExpungeArgs,
  parseFetchArgs,
  parseGetQuotaArgs,
  parseIdArgs,
  parseListArgs,
  parseLoginArgs,
  parseLsubArgs,
  parseMailboxArgs,
  parseNoArgs,
  parseRenameArgs,
  parseSearchArgs,
  parseSearchDate,
  parseSelectArgs,
  parseSequenceSet,
  parseSortArgs,
  parseStatusArgs,
  parseStoreArgs,
  parseThreadArgs,
  resolveSequenceSet,
  type FramedCommand,
  type ImapLimits,
  type ParsedCommand,
  type ReaderEvent,
  type SearchKey,
} from "./parser.ts";

// ─── Helpers ────────────────────────────────────────────────────────────────────────────────────

type Input = string | Buffer;

function readEvents(
  chunks: Input | Input[],
  options: { limits?: Partial<ImapLimits>; authenticated?: boolean } = {},
): ReaderEvent[] {
  const reader = new CommandReader(options.limits);
  reader.setAuthenticated(options.authenticated ?? true);
  const events: ReaderEvent[] = [];
  for (const chunk of Array.isArray(chunks) ? chunks : [chunks]) {
    reader.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, "latin1"));
    for (let event = reader.next(); event; event = reader.next()) events.push(event);
  }
  return events;
}

function frames(events: ReaderEvent[]): FramedCommand[] {
  return events.flatMap((e) => (e.type === "command" ? [e.frame] : []));
}

function frameText(frame: FramedCommand): { lines: string[]; literals: string[] } {
  return {
    lines: frame.lines.map((l) => l.toString("latin1")),
    literals: frame.literals.map((l) => l.toString("latin1")),
  };
}

/** One command line (CRLF added), framed by a real reader and tokenized. */
function cmd(line: Input): ParsedCommand {
  const input = Buffer.concat([Buffer.isBuffer(line) ? line : Buffer.from(line, "utf8"), Buffer.from("\r\n")]);
  const found = frames(readEvents(input));
  expect(found).toHaveLength(1);
  return parseCommand(found[0]);
}

function parseError(fn: () => unknown): ImapParseError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ImapParseError);
    return err as ImapParseError;
  }
  throw new Error("expected an ImapParseError");
}

const seq = (text: string) => parseSequenceSet(text);

// ─── CommandReader ──────────────────────────────────────────────────────────────────────────────

describe("CommandReader framing", () => {
  it("frames a single-line command, stripping CRLF", () => {
    const events = readEvents("a1 NOOP\r\n");
    expect(events).toHaveLength(1);
    expect(frameText(frames(events)[0])).toEqual({ lines: ["a1 NOOP"], literals: [] });
  });

  it("accepts bare LF line endings", () => {
    expect(frames(readEvents("a1 NOOP\na2 NOOP\n")).map((f) => frameText(f).lines[0])).toEqual([
      "a1 NOOP",
      "a2 NOOP",
    ]);
  });

  it("frames several pipelined commands from one chunk", () => {
    const found = frames(readEvents("a1 NOOP\r\na2 CAPABILITY\r\na3 LOGOUT\r\n"));
    expect(found.map((f) => parseCommand(f).command)).toEqual(["NOOP", "CAPABILITY", "LOGOUT"]);
  });

  it("waits for the rest of a line", () => {
    const reader = new CommandReader();
    reader.push(Buffer.from("a1 NO"));
    expect(reader.next()).toBeNull();
    reader.push(Buffer.from("OP\r"));
    expect(reader.next()).toBeNull();
    reader.push(Buffer.from("\n"));
    expect(reader.next()?.type).toBe("command");
    expect(reader.buffered).toBe(0);
  });

  it("asks for a synchronizing literal, then frames it", () => {
    const reader = new CommandReader();
    reader.push(Buffer.from("a1 LOGIN {4}\r\n"));
    expect(reader.next()).toEqual({ type: "continue", tag: "a1", size: 4 });
    expect(reader.next()).toBeNull();
    reader.push(Buffer.from("fred {6}\r\n"));
    expect(reader.next()).toEqual({ type: "continue", tag: "a1", size: 6 });
    reader.push(Buffer.from("secret\r\n"));
    const event = reader.next();
    expect(event?.type).toBe("command");
    const frame = (event as { frame: FramedCommand }).frame;
    expect(frameText(frame)).toEqual({ lines: ["a1 LOGIN {4}", " {6}", ""], literals: ["fred", "secret"] });
    expect(frame.size).toBe("a1 LOGIN {4}".length + 4 + " {6}".length + 6);
    expect(parseLoginArgs(parseCommand(frame))).toEqual({ username: "fred", password: "secret" });
  });

  it("gives the same frames whatever the chunk boundaries", () => {
    const input =
      "a1 APPEND INBOX (\\Seen) {12}\r\nhello\r\nworld {0}\r\n\r\n" +
      "a2 LOGIN {3+}\r\nbob ~{4+}\r\n\0\x01\r\n\r\n" +
      'a3 SEARCH SUBJECT "x {5}"\r\n' +
      "a4 NOOP\n";
    const whole = frames(readEvents(input)).map(frameText);
    expect(whole).toHaveLength(4);
    expect(whole[0]).toEqual({ lines: ["a1 APPEND INBOX (\\Seen) {12}", " {0}", ""], literals: ["hello\r\nworld", ""] });
    expect(whole[1]).toEqual({ lines: ["a2 LOGIN {3+}", " ~{4+}", ""], literals: ["bob", "\0\x01\r\n"] });
    for (const size of [1, 2, 3, 7, 13]) {
      const chunks: string[] = [];
      for (let i = 0; i < input.length; i += size) chunks.push(input.slice(i, i + size));
      expect(frames(readEvents(chunks)).map(frameText)).toEqual(whole);
    }
  });

  it("does not ask for non-synchronizing literals (LITERAL+, RFC 7888)", () => {
    const events = readEvents("a1 LOGIN {3+}\r\nbob {6+}\r\nsecret\r\n");
    expect(events.map((e) => e.type)).toEqual(["command"]);
  });

  it("asks for {0} and frames the empty literal", () => {
    const events = readEvents('a1 LOGIN {0}\r\n ""\r\n');
    expect(events.map((e) => e.type)).toEqual(["continue", "command"]);
    expect(parseLoginArgs(parseCommand(frames(events)[0]))).toEqual({ username: "", password: "" });
  });

  it("frames literal8 for BINARY APPEND (RFC 3516)", () => {
    const data = Buffer.from([0, 1, 2, 0xff, 13, 10]);
    const events = readEvents([Buffer.from("a1 APPEND INBOX ~{6}\r\n"), data, Buffer.from("\r\n")]);
    expect(events.map((e) => e.type)).toEqual(["continue", "command"]);
    const append = parseAppendArgs(parseCommand(frames(events)[0]));
    expect(append.messages[0]).toEqual({ flags: [], message: data, binary: true });
  });

  it("keeps literal data opaque: announcements and CRLF inside it are data", () => {
    const body = "x {5}\r\na2 LOGOUT\r\n";
    const events = readEvents(`a1 APPEND INBOX {${body.length}+}\r\n${body}\r\n`);
    expect(events).toHaveLength(1);
    expect(frameText(frames(events)[0]).literals).toEqual([body]);
  });
});

describe("CommandReader limits", () => {
  const small = { maxLineLength: 100, maxLiteralSize: 1000, maxCommandSize: 2000 };

  it("reports an overlong line before it ends, then discards it", () => {
    const reader = new CommandReader(small);
    reader.setAuthenticated(true);
    reader.push(Buffer.from(`a1 SEARCH TEXT ${"x".repeat(200)}`));
    const event = reader.next();
    expect(event?.type).toBe("error");
    const error = (event as { error: ImapLimitError }).error;
    expect(error).toBeInstanceOf(ImapLimitError);
    expect(error).toBeInstanceOf(ImapParseError);
    expect(error).toMatchObject({ limit: "line", tag: "a1", code: "TOOBIG", fatal: false });
    // More of the same line: dropped as it arrives.
    for (let i = 0; i < 100; i++) {
      reader.push(Buffer.alloc(10_000, "y"));
      expect(reader.next()).toBeNull();
      expect(reader.buffered).toBe(0);
    }
    reader.push(Buffer.from("\r\na2 NOOP\r\n"));
    const next = reader.next();
    expect(next?.type).toBe("command");
    expect(parseCommand((next as { frame: FramedCommand }).frame).tag).toBe("a2");
  });

  it("accepts a line of exactly the maximum length", () => {
    const line = `a1 X ${"y".repeat(95)}`;
    expect(line).toHaveLength(100);
    expect(readEvents(`${line}\r\n`, { limits: small }).map((e) => e.type)).toEqual(["command"]);
    expect(readEvents(`${line}y\r\n`, { limits: small }).map((e) => e.type)).toEqual(["error"]);
  });

  it("skips the non-synchronizing literal that ends a discarded line", () => {
    const events = readEvents(`a1 X ${"y".repeat(200)} {12+}\r\na9 LOGOUT\r\n\r\na2 NOOP\r\n`, { limits: small });
    expect(events.map((e) => e.type)).toEqual(["error", "command"]);
    expect(parseCommand(frames(events)[0]).tag).toBe("a2");
  });

  it("refuses an oversized synchronizing literal without asking for it", () => {
    const events = readEvents("a1 APPEND INBOX {5000}\r\na2 NOOP\r\n", { limits: small });
    expect(events.map((e) => e.type)).toEqual(["error", "command"]);
    expect((events[0] as { error: ImapLimitError }).error).toMatchObject({ limit: "literal", tag: "a1" });
    expect(parseCommand(frames(events)[0]).tag).toBe("a2");
  });

  it("refuses an oversized non-synchronizing literal and discards its bytes", () => {
    const literal = "a9 DELETE INBOX\r\n".repeat(300);
    const reader = new CommandReader(small);
    reader.setAuthenticated(true);
    reader.push(Buffer.from(`a1 APPEND INBOX {${literal.length}+}\r\n`));
    expect(reader.next()).toMatchObject({ type: "error", error: { limit: "literal", tag: "a1" } });
    for (let i = 0; i < literal.length; i += 100) {
      reader.push(Buffer.from(literal.slice(i, i + 100)));
      expect(reader.next()).toBeNull();
      expect(reader.buffered).toBe(0);
    }
    reader.push(Buffer.from(" {3+}\r\nabc\r\na2 NOOP\r\n"));
    const event = reader.next();
    expect(event?.type).toBe("command");
    expect(parseCommand((event as { frame: FramedCommand }).frame).tag).toBe("a2");
  });

  it("applies the smaller literal and command limits before authentication", () => {
    const login = `a1 LOGIN {3+}\r\nbob {${5000}+}\r\n${"p".repeat(5000)}\r\n`;
    const before = readEvents(login, { authenticated: false });
    expect(before.map((e) => e.type)).toEqual(["error"]);
    expect(before[0]).toMatchObject({ error: { limit: "literal", tag: "a1" } });
    expect(readEvents(login, { authenticated: true }).map((e) => e.type)).toEqual(["command"]);

    const many = `a1 X ${Array.from({ length: 20 }, () => "{4000+}\r\n" + "z".repeat(4000)).join(" ")}\r\n`;
    const tooMuch = readEvents(many, { authenticated: false });
    expect(tooMuch.map((e) => e.type)).toEqual(["error"]);
    expect(tooMuch[0]).toMatchObject({ error: { limit: "command" } });
  });

  it("lets the limits change at runtime", () => {
    const reader = new CommandReader();
    reader.setAuthenticated(true);
    reader.setLimits({ maxLiteralSize: 10 });
    expect(reader.limits.maxLiteralSize).toBe(10);
    expect(reader.limits.maxLineLength).toBe(DEFAULT_LIMITS.maxLineLength);
    reader.push(Buffer.from("a1 APPEND INBOX {11}\r\n"));
    expect(reader.next()?.type).toBe("error");
    reader.setLimits({ maxLiteralSize: 11 });
    reader.push(Buffer.from("a2 APPEND INBOX {11}\r\n"));
    expect(reader.next()?.type).toBe("continue");
  });

  it("enforces the LITERAL- cap on non-synchronizing literals only (RFC 7888 §4)", () => {
    const limits = { maxNonSyncLiteralSize: 4096 };
    const body = "m".repeat(5000);
    expect(readEvents(`a1 APPEND INBOX {5000+}\r\n${body}\r\n`, { limits }).map((e) => e.type)).toEqual(["error"]);
    expect(readEvents(`a1 APPEND INBOX {5000}\r\n${body}\r\n`, { limits }).map((e) => e.type)).toEqual([
      "continue",
      "command",
    ]);
    expect(readEvents(`a1 APPEND INBOX {4096+}\r\n${"m".repeat(4096)}\r\n`, { limits }).map((e) => e.type)).toEqual([
      "command",
    ]);
  });

  it("limits the total size of a command across literals (MULTIAPPEND)", () => {
    const part = "q".repeat(900);
    const input = `a1 APPEND INBOX {900+}\r\n${part} {900+}\r\n${part} {900+}\r\n${part}\r\na2 NOOP\r\n`;
    const events = readEvents(input, { limits: small });
    expect(events.map((e) => e.type)).toEqual(["error", "command"]);
    expect(events[0]).toMatchObject({ error: { limit: "command", tag: "a1" } });
    expect(parseCommand(frames(events)[0]).tag).toBe("a2");
  });

  it("gives up on a literal size it cannot skip", () => {
    const reader = new CommandReader();
    reader.push(Buffer.from("a1 APPEND INBOX {99999999999999999999+}\r\n"));
    expect(reader.next()).toMatchObject({ type: "error", error: { fatal: true, tag: "a1" } });
    reader.push(Buffer.from("a2 NOOP\r\n"));
    expect(reader.next()).toBeNull();
  });

  it("reports the tag of a command that fails on a later line", () => {
    const events = readEvents(`a7 LOGIN {3+}\r\nbob ${"x".repeat(300)}\r\n`, { limits: small });
    expect(events[0]).toMatchObject({ type: "error", error: { limit: "line", tag: "a7" } });
  });
});

// ─── Tokenizer ──────────────────────────────────────────────────────────────────────────────────

describe("parseCommand", () => {
  it("splits tag, uppercased command and arguments", () => {
    expect(cmd("A001 noop")).toEqual({ tag: "A001", command: "NOOP", uid: false, args: [] });
    expect(cmd("x.1 uid fetch 1 FLAGS")).toMatchObject({ tag: "x.1", command: "UID FETCH", uid: true });
  });

  it("rejects bad tags without claiming a tag", () => {
    for (const line of ["+ NOOP", "* NOOP", "a{ NOOP", "a%1 NOOP", "\x01 NOOP"]) {
      expect(parseError(() => cmd(line)).tag).toBeUndefined();
    }
    expect(parseError(() => cmd("")).message).toMatch(/empty/i);
  });

  it("rejects missing or malformed command names with the tag", () => {
    expect(parseError(() => cmd("a1")).tag).toBe("a1");
    expect(parseError(() => cmd("a1 UID")).tag).toBe("a1");
    expect(parseError(() => cmd("a1 NO(OP")).tag).toBe("a1");
  });

  it("reads quoted strings with \\\\ and \\\" escapes", () => {
    expect(cmd('a1 X "a\\\\b\\"c" ""').args).toEqual([
      { type: "string", value: 'a\\b"c' },
      { type: "string", value: "" },
    ]);
    expect(parseError(() => cmd('a1 X "a\\nb"')).message).toMatch(/escape/);
    expect(parseError(() => cmd('a1 X "abc')).tag).toBe("a1");
    expect(parseError(() => cmd('a1 X "a\rb"')).message).toMatch(/character/);
  });

  it("decodes UTF-8 in quoted strings and rejects invalid UTF-8", () => {
    expect(cmd('a1 X "Grüße 台北"').args).toEqual([{ type: "string", value: "Grüße 台北" }]);
    const invalid = Buffer.concat([Buffer.from('a1 X "'), Buffer.from([0xc3, 0x28]), Buffer.from('"')]);
    expect(parseError(() => cmd(invalid)).message).toMatch(/UTF-8/);
  });

  it("requires 8-bit text to be quoted", () => {
    expect(parseError(() => cmd("a1 SELECT Grüße")).message).toMatch(/8-bit/);
  });

  it("classifies bare tokens, keeping raw text", () => {
    expect(cmd("a1 X abc 42 NiL 1:*,3,5:7 $ * 0:5 \\Seen 99999999999999999999").args).toEqual([
      { type: "atom", value: "abc" },
      { type: "number", value: 42, raw: "42" },
      { type: "nil", raw: "NiL" },
      { type: "sequence", value: { saved: false, ranges: [{ start: 1, end: "*" }, { start: 3, end: 3 }, { start: 5, end: 7 }] }, raw: "1:*,3,5:7" },
      { type: "sequence", value: { saved: true, ranges: [] }, raw: "$" },
      { type: "sequence", value: { saved: false, ranges: [{ start: "*", end: "*" }] }, raw: "*" },
      { type: "atom", value: "0:5" },
      { type: "atom", value: "\\Seen" },
      { type: "atom", value: "99999999999999999999" },
    ]);
  });

  it("reads nested lists", () => {
    expect(cmd("a1 X (a (b ()) c) ()").args).toEqual([
      {
        type: "list",
        items: [
          { type: "atom", value: "a" },
          { type: "list", items: [{ type: "atom", value: "b" }, { type: "list", items: [] }] },
          { type: "atom", value: "c" },
        ],
      },
      { type: "list", items: [] },
    ]);
    expect(parseError(() => cmd("a1 X (a")).message).toMatch(/\)/);
    expect(parseError(() => cmd("a1 X a)")).tag).toBe("a1");
    expect(parseError(() => cmd("a1 X (a)(b)")).message).toMatch(/space/);
  });

  it("limits list nesting depth", () => {
    const frame = frames(readEvents(`a1 X ${"(".repeat(5)}${")".repeat(5)}\r\n`))[0];
    expect(() => parseCommand(frame, { maxNestingDepth: 5 })).not.toThrow();
    const error = parseError(() => parseCommand(frame, { maxNestingDepth: 4 }));
    expect(error).toBeInstanceOf(ImapLimitError);
    expect(error).toMatchObject({ limit: "depth", tag: "a1" });
    // Deep nesting never overflows the stack.
    const deep = frames(readEvents(`a1 X ${"(".repeat(20000)}${")".repeat(20000)}\r\n`))[0];
    expect(parseError(() => parseCommand(deep))).toBeInstanceOf(ImapLimitError);
  });

  it("reads literals as Buffers and literal8 as binary", () => {
    const args = parseCommand(frames(readEvents("a1 X {3}\r\nabc ~{2+}\r\n\0\x01 tail\r\n"))[0]).args;
    expect(args).toEqual([
      { type: "literal", value: Buffer.from("abc"), binary: false },
      { type: "literal", value: Buffer.from([0, 1]), binary: true },
      { type: "atom", value: "tail" },
    ]);
  });

  it("rejects frames whose literal data is missing", () => {
    const frame: FramedCommand = { lines: [Buffer.from("a1 X {3}")], literals: [], size: 8 };
    expect(parseError(() => parseCommand(frame)).message).toMatch(/Literal/);
    expect(parseError(() => cmd("a1 X abc{3}x")).tag).toBe("a1");
  });

  it("reads fetch sections and partial ranges", () => {
    const args = cmd(
      "a1 X BODY[] body.peek[1.2.MIME] BODY[HEADER.FIELDS.NOT (Received x-spam)]<10.20> BINARY[1.2]<0.5> BINARY.SIZE[3] BODY[1.TEXT]",
    ).args;
    expect(args).toEqual([
      { type: "section", name: "BODY", section: { part: [] } },
      { type: "section", name: "BODY.PEEK", section: { part: [1, 2], text: "MIME" } },
      {
        type: "section",
        name: "BODY",
        section: { part: [], text: "HEADER.FIELDS.NOT", fields: ["Received", "x-spam"] },
        partial: { offset: 10, length: 20 },
      },
      { type: "section", name: "BINARY", section: { part: [1, 2] }, partial: { offset: 0, length: 5 } },
      { type: "section", name: "BINARY.SIZE", section: { part: [3] } },
      { type: "section", name: "BODY", section: { part: [1], text: "TEXT" } },
    ]);
  });

  it("reads header names given as quoted strings or literals inside a section", () => {
    const frame = frames(readEvents('a1 FETCH 1 BODY[HEADER.FIELDS ("From" {2}\r\nTo)]\r\n'))[0];
    expect(parseCommand(frame).args[1]).toEqual({
      type: "section",
      name: "BODY",
      section: { part: [], text: "HEADER.FIELDS", fields: ["From", "To"] },
    });
  });

  it("rejects malformed sections", () => {
    for (const item of [
      "BODY[MIME]",
      "BODY[0]",
      "BODY[1.]",
      "BODY[FOO]",
      "BINARY[HEADER]",
      "BODY[HEADER.FIELDS]",
      "BODY[HEADER.FIELDS ()]",
      "BODY[]<0.0>",
      "BODY[]<5>",
      "BINARY.SIZE[1]<0.1>",
      "BODY[TEXT",
    ]) {
      expect(parseError(() => cmd(`a1 FETCH 1 ${item}`)).tag, item).toBe("a1");
    }
  });

  it("treats brackets in other atoms as atom characters", () => {
    expect(cmd("a1 CREATE foo[bar]").args).toEqual([{ type: "atom", value: "foo[bar]" }]);
  });

  it("tolerates extra and trailing spaces", () => {
    expect(cmd("a1 X  a   b ").args).toEqual([
      { type: "atom", value: "a" },
      { type: "atom", value: "b" },
    ]);
  });
});

// ─── Sequence sets ──────────────────────────────────────────────────────────────────────────────

describe("sequence sets", () => {
  it("parses numbers, ranges, * and $", () => {
    expect(seq("4:2,*,7")).toEqual({
      saved: false,
      ranges: [{ start: 4, end: 2 }, { start: "*", end: "*" }, { start: 7, end: 7 }],
    });
    expect(seq("$")).toEqual({ saved: true, ranges: [] });
    for (const bad of ["", "0", "1:0", "1,,2", "1:2:3", "a", "4294967296", "$,1", "1,"]) {
      expect(() => seq(bad), bad).toThrow(ImapParseError);
    }
    expect(seq("4294967295").ranges[0].start).toBe(4294967295);
  });

  it("resolves * and merges ranges", () => {
    expect(resolveSequenceSet(seq("9:*,1,2,5:3,20"), 12)).toEqual([
      { start: 1, end: 5 },
      { start: 9, end: 12 },
      { start: 20, end: 20 },
    ]);
    expect(() => resolveSequenceSet(seq("$"), 5)).toThrow();
  });
});

// ─── Dates ──────────────────────────────────────────────────────────────────────────────────────

describe("dates", () => {
  it("parses SEARCH dates to calendar dates", () => {
    expect(parseSearchDate("1-Feb-1994")).toBe("1994-02-01");
    expect(parseSearchDate("29-feb-2024")).toBe("2024-02-29");
    for (const bad of ["29-Feb-2023", "32-Jan-2020", "1-Foo-2020", "01-02-2020", "1-Feb-94", "0-Jan-2020"]) {
      expect(parseSearchDate(bad), bad).toBeUndefined();
    }
  });

  it("parses date-time with zone", () => {
    expect(parseDateTime("01-Feb-1994 21:21:21 -0800")?.toISOString()).toBe("1994-02-02T05:21:21.000Z");
    expect(parseDateTime(" 1-Feb-1994 21:21:21 +0130")?.toISOString()).toBe("1994-02-01T19:51:21.000Z");
    expect(parseDateTime("17-Jul-1996 02:44:25 -0700")?.toISOString()).toBe("1996-07-17T09:44:25.000Z");
    for (const bad of ["01-Feb-1994 21:21:21", "01-Feb-1994 24:00:00 +0000", "31-Apr-1994 00:00:00 +0000", "x"]) {
      expect(parseDateTime(bad), bad).toBeUndefined();
    }
  });
});

// ─── Typed arguments ────────────────────────────────────────────────────────────────────────────

describe("not authenticated commands", () => {
  it("LOGIN takes two astrings", () => {
    expect(parseLoginArgs(cmd('a1 LOGIN fred "pa ss\\"w"'))).toEqual({ username: "fred", password: 'pa ss"w' });
    expect(parseLoginArgs(cmd("a1 LOGIN NIL 123"))).toEqual({ username: "NIL", password: "123" });
    expect(parseError(() => parseLoginArgs(cmd("a1 LOGIN fred"))).message).toMatch(/password/);
    expect(parseError(() => parseLoginArgs(cmd("a1 LOGIN fred x y"))).message).toMatch(/extra/);
    expect(parseError(() => parseLoginArgs(cmd("a1 LOGIN fred pa*ss"))).tag).toBe("a1");
    expect(parseError(() => parseLoginArgs(cmd("a1 LOGIN (fred) x"))).tag).toBe("a1");
  });

  it("AUTHENTICATE takes a mechanism and an optional initial response (SASL-IR)", () => {
    expect(parseAuthenticateArgs(cmd("a1 authenticate plain"))).toEqual({ mechanism: "PLAIN" });
    expect(parseAuthenticateArgs(cmd("a1 AUTHENTICATE PLAIN AGZyZWQAc2VjcmV0"))).toEqual({
      mechanism: "PLAIN",
      initialResponse: Buffer.from("\0fred\0secret"),
    });
    expect(parseAuthenticateArgs(cmd("a1 AUTHENTICATE EXTERNAL ="))).toEqual({
      mechanism: "EXTERNAL",
      initialResponse: Buffer.alloc(0),
    });
    expect(parseError(() => parseAuthenticateArgs(cmd("a1 AUTHENTICATE PLAIN abc"))).message).toMatch(/base64/);
  });

  it("reads AUTHENTICATE continuation lines and the IDLE DONE line", () => {
    const line = (text: string) => frames(readEvents(`${text}\r\n`))[0];
    expect(parseAuthenticateResponse(line("dGVzdA=="))).toEqual(Buffer.from("test"));
    expect(parseAuthenticateResponse(line(""))).toEqual(Buffer.alloc(0));
    expect(parseAuthenticateResponse(line("*"))).toBe("cancel");
    expect(() => parseAuthenticateResponse(line("not base64!"))).toThrow(ImapParseError);
    expect(isIdleDone(line("DONE"))).toBe(true);
    expect(isIdleDone(line("done"))).toBe(true);
    expect(isIdleDone(line("a1 NOOP"))).toBe(false);
  });

  it("commands without arguments reject arguments", () => {
    for (const name of ["CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "NAMESPACE", "CHECK", "CLOSE", "UNSELECT", "IDLE"]) {
      expect(() => parseNoArgs(cmd(`a1 ${name}`))).not.toThrow();
      expect(parseError(() => parseNoArgs(cmd(`a1 ${name} x`))).tag).toBe("a1");
    }
  });
});

describe("mailbox commands", () => {
  it("SELECT / EXAMINE normalize INBOX and decode modified UTF-7", () => {
    expect(parseSelectArgs(cmd("a1 SELECT inbox"))).toEqual({ mailbox: "INBOX", condstore: false });
    expect(parseSelectArgs(cmd("a1 EXAMINE Entw&APw-rfe"))).toEqual({ mailbox: "Entwürfe", condstore: false });
    expect(parseSelectArgs(cmd('a1 SELECT "Entwürfe"'), { utf8: true }).mailbox).toBe("Entwürfe");
    expect(parseSelectArgs(cmd("a1 SELECT a&b"), { utf8: true }).mailbox).toBe("a&b");
    expect(parseError(() => parseSelectArgs(cmd("a1 SELECT a&b"))).message).toMatch(/UTF-7/);
  });

  it("SELECT takes (CONDSTORE) and (QRESYNC …) (RFC 7162)", () => {
    expect(parseSelectArgs(cmd("a1 SELECT INBOX (CONDSTORE)"))).toEqual({ mailbox: "INBOX", condstore: true });
    expect(parseSelectArgs(cmd("a1 SELECT INBOX (QRESYNC (67890007 1))"))).toEqual({
      mailbox: "INBOX",
      condstore: true,
      qresync: { uidValidity: 67890007, modseq: 1 },
    });
    expect(
      parseSelectArgs(cmd("a1 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 (1:10 41:50)))")),
    ).toEqual({
      mailbox: "INBOX",
      condstore: true,
      qresync: {
        uidValidity: 67890007,
        modseq: Number.MAX_SAFE_INTEGER, // clamped
        knownUids: seq("41:211,214:541"),
        seqMatch: { seqs: seq("1:10"), uids: seq("41:50") },
      },
    });
    expect(parseSelectArgs(cmd("a1 SELECT INBOX (QRESYNC (1 2 (1 5)))")).qresync).toEqual({
      uidValidity: 1,
      modseq: 2,
      seqMatch: { seqs: seq("1"), uids: seq("5") },
    });
    for (const bad of [
      "(FOO)",
      "(QRESYNC (0 5))",
      "(QRESYNC (1))",
      "(QRESYNC (1 5 1:*))",
      "(QRESYNC (1 9223372036854775808))",
      "(QRESYNC (1 0))",
      "(QRESYNC (1 5 1:3 (1:3)))",
      "(CONDSTORE) x",
    ]) {
      expect(parseError(() => parseSelectArgs(cmd(`a1 SELECT INBOX ${bad}`))).tag, bad).toBe("a1");
    }
  });

  it("CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, GETQUOTAROOT", () => {
    expect(parseCreateArgs(cmd("a1 CREATE Archive/2024"))).toEqual({ mailbox: "Archive/2024", specialUse: [] });
    expect(parseCreateArgs(cmd("a1 CREATE MySent (USE (\\Sent \\archive))"))).toEqual({
      mailbox: "MySent",
      specialUse: ["\\Sent", "\\archive"],
    });
    expect(parseError(() => parseCreateArgs(cmd("a1 CREATE x (FOO (bar))"))).tag).toBe("a1");
    expect(parseMailboxArgs(cmd("a1 DELETE {5}\r\nTrash"))).toEqual({ mailbox: "Trash" });
    expect(parseMailboxArgs(cmd('a1 SUBSCRIBE "a b"'))).toEqual({ mailbox: "a b" });
    expect(parseMailboxArgs(cmd("a1 UNSUBSCRIBE 2024"))).toEqual({ mailbox: "2024" });
    expect(parseMailboxArgs(cmd("a1 GETQUOTAROOT INBOX"))).toEqual({ mailbox: "INBOX" });
    expect(parseRenameArgs(cmd('a1 RENAME "Old" &ZeVnLIqe-'))).toEqual({ from: "Old", to: "日本語" });
    expect(parseError(() => parseRenameArgs(cmd("a1 RENAME a"))).message).toMatch(/mailbox/);
  });

  it("LIST basic form", () => {
    expect(parseListArgs(cmd('a1 LIST "" *'))).toEqual({
      reference: "",
      patterns: ["*"],
      select: { subscribed: false, remote: false, recursiveMatch: false, specialUse: false },
      return: { subscribed: false, children: false, specialUse: false },
      extended: false,
    });
    expect(parseListArgs(cmd("a1 LIST ~/Mail/ %")).patterns).toEqual(["%"]);
    expect(parseListArgs(cmd('a1 LIST "" "INBOX/%"')).patterns).toEqual(["INBOX/%"]);
    expect(parseListArgs(cmd('a1 LIST "" &ZeVnLIqe-/*')).patterns).toEqual(["日本語/*"]);
  });

  it("LIST-EXTENDED selection and return options, with LIST-STATUS and SPECIAL-USE", () => {
    const list = parseListArgs(
      cmd('a1 LIST (SUBSCRIBED RECURSIVEMATCH REMOTE) "" ("INBOX" Drafts %) RETURN (CHILDREN SUBSCRIBED SPECIAL-USE STATUS (MESSAGES UNSEEN MAILBOXID))'),
    );
    expect(list).toEqual({
      reference: "",
      patterns: ["INBOX", "Drafts", "%"],
      select: { subscribed: true, remote: true, recursiveMatch: true, specialUse: false },
      return: { subscribed: true, children: true, specialUse: true, status: ["MESSAGES", "UNSEEN", "MAILBOXID"] },
      extended: true,
    });
    expect(parseListArgs(cmd('a1 LIST (SPECIAL-USE) "" *')).select.specialUse).toBe(true);
    expect(parseListArgs(cmd('a1 LIST () "" * RETURN ()')).extended).toBe(true);
    expect(parseListArgs(cmd('a1 LIST "" * RETURN (CHILDREN)')).return.children).toBe(true);
    for (const bad of [
      '(RECURSIVEMATCH) "" *',
      '(FOO) "" *',
      '"" * RETURN (FOO)',
      '"" * RETURN (STATUS ())',
      '"" * RETURN (STATUS (BOGUS))',
      '"" * CHILDREN',
      '"" ()',
      '""',
    ]) {
      expect(parseError(() => parseListArgs(cmd(`a1 LIST ${bad}`))).tag, bad).toBe("a1");
    }
  });

  it("LSUB", () => {
    expect(parseLsubArgs(cmd('a1 LSUB "#news." "comp.mail.*"'))).toEqual({ reference: "#news.", pattern: "comp.mail.*" });
  });

  it("STATUS items", () => {
    expect(
      parseStatusArgs(
        cmd("a1 STATUS inbox (messages RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ MAILBOXID APPENDLIMIT)"),
      ),
    ).toEqual({
      mailbox: "INBOX",
      items: ["MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "HIGHESTMODSEQ", "MAILBOXID", "APPENDLIMIT"],
    });
    expect(parseError(() => parseStatusArgs(cmd("a1 STATUS INBOX ()"))).message).toMatch(/Empty/);
    expect(parseError(() => parseStatusArgs(cmd("a1 STATUS INBOX (FOO)"))).message).toMatch(/FOO/);
    expect(parseError(() => parseStatusArgs(cmd("a1 STATUS INBOX MESSAGES"))).tag).toBe("a1");
  });

  it("APPEND with flags, date-time and MULTIAPPEND", () => {
    const frame = frames(
      readEvents(
        'a1 APPEND saved-messages (\\seen $Label) "01-Feb-1994 21:21:21 -0800" {5+}\r\nhello ~{3+}\r\nb\0c () {1+}\r\nx\r\n',
      ),
    )[0];
    expect(parseAppendArgs(parseCommand(frame))).toEqual({
      mailbox: "saved-messages",
      messages: [
        {
          flags: ["\\Seen", "$Label"],
          internalDate: new Date("1994-02-02T05:21:21Z"),
          message: Buffer.from("hello"),
          binary: false,
        },
        { flags: [], message: Buffer.from("b\0c"), binary: true },
        { flags: [], message: Buffer.from("x"), binary: false },
      ],
    });
    for (const bad of [
      'INBOX "hello"',
      "INBOX",
      'INBOX "1-Feb-1994" {1+}\r\nx',
      "INBOX (\\Recent) {1+}\r\nx",
      "INBOX (\\*) {1+}\r\nx",
      "INBOX {1+}\r\nx junk",
    ]) {
      expect(parseError(() => parseAppendArgs(cmd(`a1 APPEND ${bad}`))).tag, bad).toBe("a1");
    }
  });

  it("ENABLE, ID, GETQUOTA", () => {
    expect(parseEnableArgs(cmd("a1 ENABLE condstore UTF8=ACCEPT"))).toEqual({ capabilities: ["CONDSTORE", "UTF8=ACCEPT"] });
    expect(parseError(() => parseEnableArgs(cmd("a1 ENABLE"))).tag).toBe("a1");
    expect(parseIdArgs(cmd("a1 ID NIL"))).toEqual({ params: null });
    expect(parseIdArgs(cmd('a1 ID ("name" "Thunderbird" "version" NIL)')).params).toEqual({
      name: "Thunderbird",
      version: null,
    });
    expect(parseIdArgs(cmd('a1 ID ("__proto__" "x")')).params?.["__proto__"]).toBe("x");
    expect(parseError(() => parseIdArgs(cmd('a1 ID ("name")'))).tag).toBe("a1");
    expect(parseError(() => parseIdArgs(cmd("a1 ID"))).tag).toBe("a1");
    expect(parseGetQuotaArgs(cmd('a1 GETQUOTA ""'))).toEqual({ root: "" });
  });
});

describe("FETCH", () => {
  const fetch = (line: string) => parseFetchArgs(cmd(line));

  it("expands the ALL, FAST and FULL macros", () => {
    expect(fetch("a1 FETCH 1:* all").items).toEqual(["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"].map((name) => ({ name })));
    expect(fetch("a1 FETCH 1 FAST").items).toEqual(["FLAGS", "INTERNALDATE", "RFC822.SIZE"].map((name) => ({ name })));
    expect(fetch("a1 FETCH 1 FULL").items).toEqual(
      ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"].map((name) => ({ name })),
    );
  });

  it("reads every simple item", () => {
    const names = [
      "FLAGS", "INTERNALDATE", "RFC822", "RFC822.HEADER", "RFC822.TEXT", "RFC822.SIZE", "ENVELOPE", "BODY",
      "BODYSTRUCTURE", "UID", "MODSEQ", "EMAILID", "THREADID", "SAVEDATE",
    ];
    expect(fetch(`a1 FETCH 2,4:6 (${names.join(" ").toLowerCase()})`)).toEqual({
      sequence: seq("2,4:6"),
      uid: false,
      items: names.map((name) => ({ name })),
      vanished: false,
    });
    expect(fetch("a1 FETCH 1 uid").items).toEqual([{ name: "UID" }]);
  });

  it("reads BODY[…], BODY.PEEK[…], BINARY[…] and BINARY.SIZE[…]", () => {
    expect(
      fetch("a1 FETCH 1 (BODY[] BODY.PEEK[HEADER.FIELDS (From To)]<0.100> BINARY.PEEK[1.2]<0.10> BINARY[3] BINARY.SIZE[1.2])").items,
    ).toEqual([
      { name: "BODY[]", section: { part: [] }, peek: false },
      {
        name: "BODY[]",
        section: { part: [], text: "HEADER.FIELDS", fields: ["From", "To"] },
        peek: true,
        partial: { offset: 0, length: 100 },
      },
      { name: "BINARY[]", part: [1, 2], peek: true, partial: { offset: 0, length: 10 } },
      { name: "BINARY[]", part: [3], peek: false },
      { name: "BINARY.SIZE[]", part: [1, 2] },
    ]);
    expect(fetch("a1 FETCH 1 BODY.PEEK[2.1.HEADER]").items).toEqual([
      { name: "BODY[]", section: { part: [2, 1], text: "HEADER" }, peek: true },
    ]);
  });

  it("UID FETCH always includes UID; CHANGEDSINCE implies MODSEQ (RFC 7162)", () => {
    expect(parseFetchArgs(cmd("a1 UID FETCH 300:310 (FLAGS) (CHANGEDSINCE 12345 VANISHED)"))).toEqual({
      sequence: seq("300:310"),
      uid: true,
      items: [{ name: "FLAGS" }, { name: "UID" }, { name: "MODSEQ" }],
      changedSince: 12345,
      vanished: true,
    });
    expect(parseFetchArgs(cmd("a1 UID FETCH 1 (UID FLAGS)")).items).toEqual([{ name: "UID" }, { name: "FLAGS" }]);
    expect(fetch("a1 FETCH $ FLAGS (changedsince 1)").changedSince).toBe(1);
    // mod-sequence-value goes up to 2^63-1; beyond 2^53-1 it is clamped (Pigeon never issues those).
    expect(fetch("a1 FETCH 1 FLAGS (CHANGEDSINCE 9007199254740991)").changedSince).toBe(Number.MAX_SAFE_INTEGER);
    expect(fetch("a1 FETCH 1 FLAGS (CHANGEDSINCE 9223372036854775807)").changedSince).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseError(() => fetch("a1 FETCH 1 FLAGS (CHANGEDSINCE 9223372036854775808)")).tag).toBe("a1");
  });

  it("rejects bad fetch commands", () => {
    for (const bad of [
      "FETCH 1",
      "FETCH 1 ()",
      "FETCH 1 FOO",
      "FETCH 1 (FLAGS FOO)",
      "FETCH 1 BODY.PEEK",
      "FETCH 0 FLAGS",
      "FETCH x FLAGS",
      "FETCH 1 FLAGS (VANISHED)",
      "FETCH 1 FLAGS (CHANGEDSINCE 1 VANISHED)",
      "UID FETCH 1 FLAGS (VANISHED)",
      "FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)",
      "FETCH 1 FLAGS (FOO)",
      "FETCH 1 FLAGS extra",
    ]) {
      expect(parseError(() => parseFetchArgs(cmd(`a1 ${bad}`))).tag, bad).toBe("a1");
    }
  });
});

describe("STORE, COPY, MOVE, EXPUNGE", () => {
  it("STORE actions, silence and flag syntax", () => {
    expect(parseStoreArgs(cmd("a1 STORE 2:4 +FLAGS.SILENT (\\deleted $Junk)"))).toEqual({
      sequence: seq("2:4"),
      uid: false,
      action: "add",
      silent: true,
      flags: ["\\Deleted", "$Junk"],
    });
    expect(parseStoreArgs(cmd("a1 UID STORE 7 -flags \\Seen \\Flagged"))).toMatchObject({
      uid: true,
      action: "remove",
      silent: false,
      flags: ["\\Seen", "\\Flagged"],
    });
    expect(parseStoreArgs(cmd("a1 STORE 1 FLAGS ()"))).toMatchObject({ action: "set", flags: [] });
    expect(parseStoreArgs(cmd("a1 STORE 1 (UNCHANGEDSINCE 0) FLAGS.SILENT (\\Answered)"))).toMatchObject({
      unchangedSince: 0,
      action: "set",
      silent: true,
    });
    for (const bad of [
      "STORE 1 FLAGS",
      "STORE 1 LABELS (x)",
      "STORE 1 +FLAGS (\\Recent)",
      "STORE 1 +FLAGS (a b) c",
      "STORE 1 (FOO 1) FLAGS (x)",
      "STORE 1 (UNCHANGEDSINCE 1 UNCHANGEDSINCE 2) FLAGS (x)",
      "STORE 1 +FLAGS (\"quoted\")",
      "STORE 1 +FLAGS (a]b)",
    ]) {
      expect(parseError(() => parseStoreArgs(cmd(`a1 ${bad}`))).tag, bad).toBe("a1");
    }
  });

  it("COPY and MOVE, plain and UID", () => {
    expect(parseCopyArgs(cmd("a1 COPY 2:4 MEETING"))).toEqual({ sequence: seq("2:4"), uid: false, mailbox: "MEETING" });
    expect(parseCopyArgs(cmd('a1 UID MOVE $ "Trash"'))).toEqual({ sequence: seq("$"), uid: true, mailbox: "Trash" });
    expect(parseCopyArgs(cmd("a1 MOVE 1 inbox"))).toMatchObject({ mailbox: "INBOX" });
    expect(parseError(() => parseCopyArgs(cmd("a1 COPY 42,$ Trash"))).tag).toBe("a1");
    expect(parseError(() => parseCopyArgs(cmd("a1 COPY 1"))).tag).toBe("a1");
  });

  it("EXPUNGE and UID EXPUNGE (UIDPLUS)", () => {
    expect(parseExpungeArgs(cmd("a1 EXPUNGE"))).toEqual({});
    expect(parseExpungeArgs(cmd("a1 UID EXPUNGE 3000:3002"))).toEqual({ uids: seq("3000:3002") });
    expect(parseError(() => parseExpungeArgs(cmd("a1 EXPUNGE 1"))).tag).toBe("a1");
    expect(parseError(() => parseExpungeArgs(cmd("a1 UID EXPUNGE"))).tag).toBe("a1");
  });
});

describe("SEARCH", () => {
  const key = (criteria: string): SearchKey => parseSearchArgs(cmd(`a1 SEARCH ${criteria}`)).key;
  const flag = (name: string, present = true): SearchKey => ({ type: "flag", flag: name, present });

  const cases: Array<[string, SearchKey]> = [
    ["ALL", { type: "all" }],
    ["ANSWERED", flag("\\Answered")],
    ["BCC joe", { type: "contains", field: "BCC", value: "joe" }],
    ["BEFORE 1-Feb-1994", { type: "date", field: "internal", op: "before", date: "1994-02-01" }],
    ['BODY "hello world"', { type: "contains", field: "BODY", value: "hello world" }],
    ["CC {3}\r\nann", { type: "contains", field: "CC", value: "ann" }],
    ["DELETED", flag("\\Deleted")],
    ["DRAFT", flag("\\Draft")],
    ["FLAGGED", flag("\\Flagged")],
    ["FROM Smith", { type: "contains", field: "FROM", value: "Smith" }],
    ['HEADER X-Mailer ""', { type: "header", name: "X-Mailer", value: "" }],
    ["KEYWORD $Forwarded", flag("$Forwarded")],
    ["LARGER 1024", { type: "size", op: "larger", size: 1024 }],
    [
      "NEW",
      { type: "and", keys: [flag("\\Recent"), flag("\\Seen", false)] },
    ],
    ["NOT SEEN", { type: "not", key: flag("\\Seen") }],
    ["OLD", flag("\\Recent", false)],
    ['ON "3-Mar-2021"', { type: "date", field: "internal", op: "on", date: "2021-03-03" }],
    [
      "OR SEEN FLAGGED",
      { type: "or", left: flag("\\Seen"), right: flag("\\Flagged") },
    ],
    ["RECENT", flag("\\Recent")],
    ["SEEN", flag("\\Seen")],
    ["SENTBEFORE 1-Jan-2000", { type: "date", field: "sent", op: "before", date: "2000-01-01" }],
    ["SENTON 1-Jan-2000", { type: "date", field: "sent", op: "on", date: "2000-01-01" }],
    ["SENTSINCE 1-Jan-2000", { type: "date", field: "sent", op: "since", date: "2000-01-01" }],
    ["SINCE 31-Dec-1999", { type: "date", field: "internal", op: "since", date: "1999-12-31" }],
    ["SMALLER 10", { type: "size", op: "smaller", size: 10 }],
    ['SUBJECT "Grüße"', { type: "contains", field: "SUBJECT", value: "Grüße" }],
    ["TEXT nil", { type: "contains", field: "TEXT", value: "nil" }],
    ["TO bob@example.com", { type: "contains", field: "TO", value: "bob@example.com" }],
    ["UID 1:*", { type: "uid", set: seq("1:*") }],
    ["UID $", { type: "uid", set: seq("$") }],
    ["UNANSWERED", flag("\\Answered", false)],
    ["UNDELETED", flag("\\Deleted", false)],
    ["UNDRAFT", flag("\\Draft", false)],
    ["UNFLAGGED", flag("\\Flagged", false)],
    ["UNKEYWORD Junk", flag("Junk", false)],
    ["UNSEEN", flag("\\Seen", false)],
    ["2,4:7", { type: "seq", set: seq("2,4:7") }],
    ["5", { type: "seq", set: seq("5") }],
    ["*", { type: "seq", set: seq("*") }],
    ["$", { type: "seq", set: seq("$") }],
    ["MODSEQ 620162338", { type: "modseq", modseq: 620162338 }],
    [
      'MODSEQ "/flags/\\\\draft" all 620162338',
      { type: "modseq", modseq: 620162338, entry: { name: "/flags/\\draft", type: "all" } },
    ],
    ["EMAILID M6d99ac3275bb4e", { type: "emailid", id: "M6d99ac3275bb4e" }],
    ["THREADID T64b478a75b7ea9", { type: "threadid", id: "T64b478a75b7ea9" }],
    ["OLDER 3600", { type: "age", op: "older", seconds: 3600 }],
    ["YOUNGER 60", { type: "age", op: "younger", seconds: 60 }],
    ["SAVEDBEFORE 1-Feb-1994", { type: "date", field: "saved", op: "before", date: "1994-02-01" }],
    ["SAVEDON 1-Feb-1994", { type: "date", field: "saved", op: "on", date: "1994-02-01" }],
    ["SAVEDSINCE 1-Feb-1994", { type: "date", field: "saved", op: "since", date: "1994-02-01" }],
    ["SAVEDATESUPPORTED", { type: "savedatesupported" }],
  ];

  it.each(cases)("search key %s", (criteria, expected) => {
    expect(key(criteria)).toEqual(expected);
  });

  it("is case-insensitive for keys", () => {
    expect(key("unseen from x")).toEqual({
      type: "and",
      keys: [flag("\\Seen", false), { type: "contains", field: "FROM", value: "x" }],
    });
  });

  it("ANDs keys and parenthesized groups; OR and NOT nest", () => {
    expect(key("OR (FROM a SEEN) NOT (TO b) UNDELETED")).toEqual({
      type: "and",
      keys: [
        {
          type: "or",
          left: { type: "and", keys: [{ type: "contains", field: "FROM", value: "a" }, flag("\\Seen")] },
          right: { type: "not", key: { type: "contains", field: "TO", value: "b" } },
        },
        flag("\\Deleted", false),
      ],
    });
    expect(key("OR OR a1 SEEN DRAFT ANSWERED".replace("a1", "1"))).toEqual({
      type: "and",
      keys: [
        { type: "or", left: { type: "or", left: { type: "seq", set: seq("1") }, right: flag("\\Seen") }, right: flag("\\Draft") },
        flag("\\Answered"),
      ],
    });
    expect(key("((SEEN))")).toEqual(flag("\\Seen"));
  });

  it("reads RETURN options (ESEARCH) and CHARSET", () => {
    expect(parseSearchArgs(cmd("a1 UID SEARCH RETURN (MIN MAX COUNT ALL SAVE) CHARSET utf-8 UNSEEN"))).toEqual({
      uid: true,
      returnOptions: ["MIN", "MAX", "COUNT", "ALL", "SAVE"],
      charset: "UTF-8",
      key: flag("\\Seen", false),
    });
    expect(parseSearchArgs(cmd("a1 SEARCH RETURN () ALL")).returnOptions).toEqual(["ALL"]);
    expect(parseSearchArgs(cmd('a1 SEARCH CHARSET "US-ASCII" ALL')).charset).toBe("US-ASCII");
    expect(parseSearchArgs(cmd("a1 SEARCH ALL"))).toEqual({ uid: false, key: { type: "all" } });
  });

  it("rejects malformed criteria", () => {
    for (const bad of [
      "",
      "FOO",
      "FROM",
      "BEFORE 31-Feb-2020",
      "BEFORE yesterday",
      "LARGER x",
      "LARGER -1",
      "UID x",
      "NOT",
      "OR SEEN",
      "()",
      "KEYWORD \\Seen",
      "KEYWORD (x)",
      "HEADER From",
      'MODSEQ "/flags/x" bogus 5',
      'MODSEQ "/other/x" all 5',
      "EMAILID bad!id",
      "OLDER 0",
      "RETURN (FOO) ALL",
      "RETURN ALL",
      "CHARSET",
      "0",
    ]) {
      expect(parseError(() => parseSearchArgs(cmd(`a1 SEARCH ${bad}`))).tag, bad).toBe("a1");
    }
  });

  it("bounds OR/NOT recursion", () => {
    const chain = `${"NOT ".repeat(2000)}SEEN`;
    const error = parseError(() => parseSearchArgs(cmd(`a1 SEARCH ${chain}`)));
    expect(error).toBeInstanceOf(ImapLimitError);
    expect(parseSearchArgs(cmd(`a1 SEARCH ${"NOT ".repeat(100)}SEEN`)).key.type).toBe("not");
  });
});

describe("SORT and THREAD", () => {
  it("SORT criteria with REVERSE, charset and keys (RFC 5256)", () => {
    expect(parseSortArgs(cmd("a1 UID SORT (REVERSE ARRIVAL subject) UTF-8 SINCE 1-Feb-1994 UNSEEN"))).toEqual({
      uid: true,
      criteria: [
        { key: "ARRIVAL", reverse: true },
        { key: "SUBJECT", reverse: false },
      ],
      charset: "UTF-8",
      key: {
        type: "and",
        keys: [
          { type: "date", field: "internal", op: "since", date: "1994-02-01" },
          { type: "flag", flag: "\\Seen", present: false },
        ],
      },
    });
    expect(parseSortArgs(cmd("a1 SORT RETURN (COUNT) (DATE CC TO FROM SIZE DISPLAYFROM DISPLAYTO) US-ASCII ALL"))).toMatchObject({
      returnOptions: ["COUNT"],
      criteria: ["DATE", "CC", "TO", "FROM", "SIZE", "DISPLAYFROM", "DISPLAYTO"].map((k) => ({ key: k, reverse: false })),
    });
    for (const bad of ["() UTF-8 ALL", "(FOO) UTF-8 ALL", "(REVERSE) UTF-8 ALL", "(DATE) UTF-8", "DATE UTF-8 ALL"]) {
      expect(parseError(() => parseSortArgs(cmd(`a1 SORT ${bad}`))).tag, bad).toBe("a1");
    }
  });

  it("THREAD algorithm, charset and keys", () => {
    expect(parseThreadArgs(cmd("a1 THREAD references UTF-8 ALL"))).toEqual({
      uid: false,
      algorithm: "REFERENCES",
      charset: "UTF-8",
      key: { type: "all" },
    });
    expect(parseThreadArgs(cmd("a1 UID THREAD ORDEREDSUBJECT US-ASCII SEEN DRAFT"))).toMatchObject({
      uid: true,
      algorithm: "ORDEREDSUBJECT",
      key: { type: "and" },
    });
    expect(parseError(() => parseThreadArgs(cmd("a1 THREAD FOO UTF-8 ALL"))).tag).toBe("a1");
    expect(parseError(() => parseThreadArgs(cmd("a1 THREAD REFERENCES UTF-8"))).tag).toBe("a1");
  });
});

// ─── Robustness ─────────────────────────────────────────────────────────────────────────────────

const TYPED_PARSERS: Array<(c: ParsedCommand) => unknown> = [
  parseNoArgs, parseLoginArgs, parseAuthenticateArgs, (c) => parseSelectArgs(c), (c) => parseMailboxArgs(c),
  (c) => parseCreateArgs(c), (c) => parseRenameArgs(c), (c) => parseStatusArgs(c), (c) => parseListArgs(c),
  (c) => parseLsubArgs(c), (c) => parseAppendArgs(c), parseGetQuotaArgs, parseEnableArgs, parseIdArgs,
  parseFetchArgs, parseStoreArgs, (c) => parseCopyArgs(c), parseExpungeArgs, parseSearchArgs, parseSortArgs,
  parseThreadArgs,
];

/** A deterministic PRNG so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const FRAGMENTS = [
  "a1 ", "A2 UID ", "FETCH ", "SEARCH ", "STORE ", "LIST ", "APPEND ", "SELECT ", "SORT ", "LOGIN ", "ID ", "(",
  ")", " ", " ", "\r\n", "\n", "{3}\r\n", "{2+}\r\n", "~{1+}\r\n", "{0}\r\n", "{99999999999999999999}\r\n", '"', "\\",
  "1:*", "$", "*", "%", "BODY[", "BODY.PEEK[HEADER.FIELDS (", "]", "<0.5>", "BINARY[1.2]", "NIL", "OR ", "NOT ",
  "RETURN (", "CHARSET ", "UTF-8 ", "SINCE ", "1-Feb-1994", "+FLAGS ", "\\Seen", "QRESYNC (", "INBOX", "&Jjo-",
  "&", "0", "42", "\u00e9", "\0",
];

function randomInput(next: () => number): Buffer {
  const parts: Buffer[] = [];
  const count = Math.floor(next() * 40);
  for (let i = 0; i < count; i++) {
    if (next() < 0.2) {
      parts.push(Buffer.from(Array.from({ length: Math.floor(next() * 8) }, () => Math.floor(next() * 256))));
    } else {
      parts.push(Buffer.from(FRAGMENTS[Math.floor(next() * FRAGMENTS.length)], "utf8"));
    }
  }
  return Buffer.concat(parts);
}

describe("fuzzing", () => {
  it("random input only ever yields frames, limit errors and ImapParseError", () => {
    const next = random(20240501);
    const started = Date.now();
    let commands = 0;
    for (let round = 0; round < 3000; round++) {
      const reader = new CommandReader({ maxLineLength: 200, maxLiteralSize: 50, maxCommandSize: 400, maxNestingDepth: 6 });
      reader.setAuthenticated(next() < 0.5);
      const input = randomInput(next);
      for (let i = 0; i < input.length; ) {
        const size = 1 + Math.floor(next() * 30);
        reader.push(input.subarray(i, i + size));
        i += size;
        for (let event = reader.next(); event; event = reader.next()) {
          if (event.type === "error") {
            expect(event.error).toBeInstanceOf(ImapLimitError);
            continue;
          }
          if (event.type !== "command") continue;
          commands++;
          let parsed: ParsedCommand;
          try {
            parsed = parseCommand(event.frame, reader.limits);
          } catch (err) {
            expect(err).toBeInstanceOf(ImapParseError);
            continue;
          }
          for (const parse of TYPED_PARSERS) {
            try {
              parse(parsed);
            } catch (err) {
              if (!(err instanceof ImapParseError)) throw err;
            }
          }
          for (const line of [isIdleDone, parseAuthenticateResponse]) {
            try {
              line(event.frame);
            } catch (err) {
              if (!(err instanceof ImapParseError)) throw err;
            }
          }
        }
      }
    }
    expect(commands).toBeGreaterThan(1000);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("typed parsers survive well-formed commands with arbitrary arguments", () => {
    const next = random(7);
    const words = ["1", "1:*", "$", "(", ")", "NIL", '"x"', "{1}\r\ny", "BODY[]", "FLAGS", "(\\Seen)", "RETURN", "ALL", "INBOX", "UTF-8", "OR", "NOT", "MODSEQ", '"/flags/\\\\seen"', "priv"];
    for (let round = 0; round < 3000; round++) {
      const args = Array.from({ length: Math.floor(next() * 8) }, () => words[Math.floor(next() * words.length)]);
      const text = `t${round} X ${args.join(" ")}\r\n`;
      for (const event of readEvents(text)) {
        if (event.type !== "command") continue;
        let parsed: ParsedCommand;
        try {
          parsed = parseCommand(event.frame);
        } catch (err) {
          expect(err).toBeInstanceOf(ImapParseError);
          continue;
        }
        for (const parse of TYPED_PARSERS) {
          try {
            parse(parsed);
          } catch (err) {
            if (!(err instanceof ImapParseError)) throw err;
          }
        }
      }
    }
  });
});
