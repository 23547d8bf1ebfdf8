import { describe, expect, it } from "vitest";
import {
  atom,
  bodyStructureValue,
  compileAuthChallenge,
  compileCapability,
  compileContinuation,
  compileEnabled,
  compileEsearch,
  compileFetch,
  compileFlags,
  compileId,
  compileList,
  compileMessageCount,
  compileNamespace,
  compileQuota,
  compileQuotaRoot,
  compileSearch,
  compileSequenceSet,
  compileStatus,
  compileStatusData,
  compileThread,
  compileUntagged,
  compileValue,
  compileVanished,
  decodeModifiedUtf7,
  encodeMailboxName,
  encodeModifiedUtf7,
  envelopeValue,
  formatDateTime,
  formatSection,
  literal8,
  raw,
  type BodyStructure,
  type Envelope,
  type ImapValue,
  type ResponseCode,
} from "./compiler.ts";
import {
  CommandReader,
  decodeMailboxName,
  parseCommand,
  parseDateTime,
  parseSequenceSet,
  resolveSequenceSet,
  type ImapArg,
} from "./parser.ts";

// ─── Helpers ────────────────────────────────────────────────────────────────────────────────────

const text = (bytes: Buffer) => bytes.toString("utf8");
const value = (v: ImapValue, utf8 = false) => text(compileValue(v, { utf8 }));

/** Feeds compiled bytes to the server's own parser as the argument of a command. */
function parseBack(bytes: Buffer): ImapArg {
  const reader = new CommandReader();
  reader.setAuthenticated(true);
  reader.push(Buffer.concat([Buffer.from("t1 X "), bytes, Buffer.from("\r\n")]));
  const events = [];
  for (let event = reader.next(); event; event = reader.next()) events.push(event);
  const command = events.find((e) => e.type === "command");
  if (command?.type !== "command") throw new Error("no command framed");
  const args = parseCommand(command.frame).args;
  expect(args).toHaveLength(1);
  return args[0];
}

/** The parsed value in the shape it was compiled from (strings and literals both as text). */
function toJs(arg: ImapArg): unknown {
  switch (arg.type) {
    case "string":
      return arg.value;
    case "literal":
      return arg.binary ? { literal8: arg.value } : arg.value.toString("utf8");
    case "nil":
      return null;
    case "number":
      return arg.value;
    case "atom":
      return { atom: arg.value };
    case "sequence":
      return { atom: arg.raw };
    case "list":
      return arg.items.map(toJs);
    case "section":
      return arg;
  }
}

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

// ─── Values ─────────────────────────────────────────────────────────────────────────────────────

describe("strings", () => {
  it("quotes plain strings", () => {
    expect(value("hello world")).toBe('"hello world"');
    expect(value("")).toBe('""');
    expect(value("NIL")).toBe('"NIL"');
  });

  it("escapes backslash and double quote (exact bytes)", () => {
    expect(value('say "hi" \\o/')).toBe('"say \\"hi\\" \\\\o/"');
  });

  it("sends strings with CR or LF as literals", () => {
    expect(value("line1\r\nline2")).toBe("{12}\r\nline1\r\nline2");
    expect(value("a\nb")).toBe("{3}\r\na\nb");
  });

  it("sends 8-bit text as a literal unless UTF-8 is enabled", () => {
    expect(compileValue("Grüße")).toEqual(Buffer.from("{7}\r\nGrüße", "utf8"));
    expect(value("Grüße", true)).toBe('"Grüße"');
    expect(value("台北", false)).toBe("{6}\r\n台北");
  });

  it("prefers a literal when escaping would cost more", () => {
    expect(value('a"b')).toBe('"a\\"b"');
    expect(value('""""""')).toBe('{6}\r\n""""""');
    expect(value('\\"\\')).toBe('"\\\\\\"\\\\"');
  });

  it("sends long strings as literals", () => {
    expect(value("x".repeat(1024))).toBe(`"${"x".repeat(1024)}"`);
    expect(value("x".repeat(1025))).toBe(`{1025}\r\n${"x".repeat(1025)}`);
  });

  it("never sends NUL in a string", () => {
    expect(value("a\0b", true)).toBe('"a\uFFFDb"');
  });
});

describe("other values", () => {
  it("writes NIL, numbers, atoms, lists", () => {
    expect(value(null)).toBe("NIL");
    expect(value(0)).toBe("0");
    expect(value(4294967295)).toBe("4294967295");
    expect(value(2n ** 63n - 1n)).toBe("9223372036854775807");
    expect(value([atom("FLAGS"), [atom("\\Seen"), "x"], null, []])).toBe('(FLAGS (\\Seen "x") NIL ())');
    expect(text(compileUntagged([atom("OK"), raw("[ALERT]"), "x"]))).toBe('* OK [ALERT] "x"\r\n');
  });

  it("writes Buffers as literals and literal8 as ~{N}, binary-safe", () => {
    expect(compileValue(Buffer.from([0xff, 0, 0x0d]))).toEqual(Buffer.from([0x7b, 0x33, 0x7d, 13, 10, 0xff, 0, 0x0d]));
    expect(compileValue(literal8(Buffer.from("a\0b")))).toEqual(Buffer.from("~{3}\r\na\0b", "latin1"));
    expect(value(Buffer.alloc(0))).toBe("{0}\r\n");
  });

  it("rejects what cannot be written", () => {
    expect(() => value(-1)).toThrow(RangeError);
    expect(() => value(1.5)).toThrow(RangeError);
    expect(() => value(Number.NaN)).toThrow(RangeError);
    expect(() => value(-1n)).toThrow(RangeError);
    expect(() => atom("a b")).toThrow();
    expect(() => atom("")).toThrow();
    expect(() => atom("a(")).toThrow();
    expect(() => raw("a\r\nb")).toThrow();
  });
});

describe("round trips through the parser", () => {
  const samples = [
    "",
    "plain",
    "two words",
    'quote " and \\ backslash',
    'q"',
    '""""""""""',
    "crlf\r\ninside",
    "lone\rcr",
    "ümlaut",
    "台北 🎉",
    "NIL",
    "{5}",
    "x".repeat(5000),
    "\t tab",
  ];

  it.each(samples.map((s) => [JSON.stringify(s).slice(0, 40), s]))("string %s", (_, sample) => {
    for (const utf8 of [false, true]) {
      const parsed = parseBack(compileValue(sample, { utf8 }));
      expect(parsed.type === "string" || parsed.type === "literal").toBe(true);
      expect(toJs(parsed)).toBe(sample);
    }
  });

  it("random strings survive compile → parse", () => {
    const next = random(99);
    const alphabet = ['"', "\\", " ", "a", "Z", "0", "\r", "\n", "ü", "台", "🎉", "(", ")", "{", "}", "*", "%", "~", "\t"];
    for (let i = 0; i < 500; i++) {
      const sample = Array.from({ length: Math.floor(next() * 30) }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
      const utf8 = next() < 0.5;
      expect(toJs(parseBack(compileValue(sample, { utf8 })))).toBe(sample);
    }
  });

  it("random Buffers survive as literals, and literal8 keeps NUL", () => {
    const next = random(5);
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(next() * 100) }, () => Math.floor(next() * 256)));
      const parsed = parseBack(compileValue(bytes));
      expect(parsed).toEqual({ type: "literal", value: bytes, binary: false });
      expect(parseBack(compileValue(literal8(bytes)))).toEqual({ type: "literal", value: bytes, binary: true });
    }
  });

  it("nested lists with every kind of value", () => {
    const tree: ImapValue = [atom("FLAGS"), [atom("\\Seen"), "x y", null, 42, Buffer.from("lit\r\neral")], [], "NIL"];
    expect(toJs(parseBack(compileValue(tree)))).toEqual([
      { atom: "FLAGS" },
      [{ atom: "\\Seen" }, "x y", null, 42, "lit\r\neral"],
      [],
      "NIL",
    ]);
  });

  it("sequence sets", () => {
    const next = random(11);
    for (let i = 0; i < 300; i++) {
      const numbers = Array.from({ length: 1 + Math.floor(next() * 30) }, () => 1 + Math.floor(next() * 60));
      const compiled = compileSequenceSet(numbers);
      const ranges = resolveSequenceSet(parseSequenceSet(compiled), 60);
      const expanded = ranges.flatMap((r) => Array.from({ length: r.end - r.start + 1 }, (_, k) => r.start + k));
      expect(expanded).toEqual([...new Set(numbers)].sort((a, b) => a - b));
    }
  });

  it("date-times, at any zone offset", () => {
    const next = random(3);
    for (let i = 0; i < 300; i++) {
      const date = new Date(Math.floor(next() * 4_000_000_000) * 1000);
      const offset = Math.floor(next() * 24 * 60) - 12 * 60;
      expect(parseDateTime(formatDateTime(date, offset))?.getTime()).toBe(date.getTime());
    }
  });
});

// ─── Sequence sets ──────────────────────────────────────────────────────────────────────────────

describe("compileSequenceSet", () => {
  it("sorts, deduplicates and compacts", () => {
    expect(compileSequenceSet([5, 1, 2, 3, 3, 9, 10])).toBe("1:3,5,9:10");
    expect(compileSequenceSet([7])).toBe("7");
  });

  it("keeps the order when asked (COPYUID pairs)", () => {
    expect(compileSequenceSet([3, 1, 2], { preserveOrder: true })).toBe("3,1:2");
    expect(compileSequenceSet([10, 11, 12, 5], { preserveOrder: true })).toBe("10:12,5");
  });

  it("writes a parsed set back as given", () => {
    expect(compileSequenceSet(parseSequenceSet("1:*,3,7:5"))).toBe("1:*,3,7:5");
    expect(compileSequenceSet(parseSequenceSet("$"))).toBe("$");
  });

  it("refuses an empty set", () => {
    expect(() => compileSequenceSet([])).toThrow(RangeError);
  });
});

// ─── Status responses ───────────────────────────────────────────────────────────────────────────

describe("status responses", () => {
  it("tagged and untagged", () => {
    expect(text(compileStatus({ tag: "a1", status: "OK", text: "LOGIN completed" }))).toBe("a1 OK LOGIN completed\r\n");
    expect(text(compileStatus({ status: "BYE", text: "Logging out" }))).toBe("* BYE Logging out\r\n");
    expect(text(compileStatus({ status: "PREAUTH", text: "Welcome" }))).toBe("* PREAUTH Welcome\r\n");
    expect(text(compileStatus({ tag: "a2", status: "NO", code: "TRYCREATE", text: "No such mailbox" }))).toBe(
      "a2 NO [TRYCREATE] No such mailbox\r\n",
    );
  });

  const codes: Array<[ResponseCode, string]> = [
    ["ALREADYEXISTS", "ALREADYEXISTS"],
    ["NONEXISTENT", "NONEXISTENT"],
    ["OVERQUOTA", "OVERQUOTA"],
    ["TOOBIG", "TOOBIG"],
    ["AUTHENTICATIONFAILED", "AUTHENTICATIONFAILED"],
    ["LIMIT", "LIMIT"],
    ["CANNOT", "CANNOT"],
    ["CLIENTBUG", "CLIENTBUG"],
    ["READ-ONLY", "READ-ONLY"],
    ["NOMODSEQ", "NOMODSEQ"],
    ["CLOSED", "CLOSED"],
    [{ code: "UIDVALIDITY", value: 3857529045 }, "UIDVALIDITY 3857529045"],
    [{ code: "UIDNEXT", value: 4392 }, "UIDNEXT 4392"],
    [{ code: "UNSEEN", value: 12 }, "UNSEEN 12"],
    [{ code: "HIGHESTMODSEQ", value: 715194045007 }, "HIGHESTMODSEQ 715194045007"],
    [{ code: "HIGHESTMODSEQ", value: 2n ** 62n }, "HIGHESTMODSEQ 4611686018427387904"],
    [{ code: "APPENDUID", uidValidity: 38505, uids: [3955] }, "APPENDUID 38505 3955"],
    [{ code: "APPENDUID", uidValidity: 38505, uids: [3955, 3956, 3957, 3960] }, "APPENDUID 38505 3955:3957,3960"],
    [
      { code: "COPYUID", uidValidity: 38505, sourceUids: [304, 319, 320], destUids: [3956, 3957, 3958] },
      "COPYUID 38505 304,319:320 3956:3958",
    ],
    [{ code: "MODIFIED", set: [7, 9, 10] }, "MODIFIED 7,9:10"],
    [{ code: "PERMANENTFLAGS", flags: ["\\Deleted", "\\Seen", "\\*"] }, "PERMANENTFLAGS (\\Deleted \\Seen \\*)"],
    [{ code: "PERMANENTFLAGS", flags: [] }, "PERMANENTFLAGS ()"],
    [{ code: "CAPABILITY", capabilities: ["IMAP4rev2", "IMAP4rev1", "LITERAL+"] }, "CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+"],
    [{ code: "MAILBOXID", id: "F2212ea87-6097-4256-9d51-71338625" }, "MAILBOXID (F2212ea87-6097-4256-9d51-71338625)"],
    [{ code: "BADCHARSET", charsets: ["UTF-8", "US-ASCII"] }, 'BADCHARSET ("UTF-8" "US-ASCII")'],
    [{ code: "BADCHARSET" }, "BADCHARSET"],
  ];

  it.each(codes.map(([code, expected]) => [expected, code] as const))("response code [%s]", (expected, code) => {
    expect(text(compileStatus({ tag: "a1", status: "OK", code, text: "done" }))).toBe(`a1 OK [${expected}] done\r\n`);
  });

  it("refuses a COPYUID whose sets differ in size", () => {
    const code: ResponseCode = { code: "COPYUID", uidValidity: 1, sourceUids: [1, 2], destUids: [5] };
    expect(() => compileStatus({ tag: "a1", status: "OK", code, text: "x" })).toThrow(RangeError);
  });

  it("keeps response text on one line and unambiguous", () => {
    const status = (t: string, utf8 = false) => text(compileStatus({ tag: "a1", status: "NO", text: t }, { utf8 }));
    expect(status("bad\r\nthing")).toBe("a1 NO bad thing\r\n");
    expect(status("[not a code]")).toBe("a1 NO  [not a code]\r\n");
    expect(status("Grüße")).toBe("a1 NO Gr??e\r\n");
    expect(status("Grüße", true)).toBe("a1 NO Grüße\r\n");
    expect(status("")).toBe("a1 NO done\r\n");
  });

  it("continuations and SASL challenges", () => {
    expect(text(compileContinuation())).toBe("+ Ready\r\n");
    expect(text(compileContinuation("idling"))).toBe("+ idling\r\n");
    expect(text(compileAuthChallenge(Buffer.alloc(0)))).toBe("+ \r\n");
    expect(text(compileAuthChallenge(Buffer.from("test")))).toBe("+ dGVzdA==\r\n");
  });
});

// ─── Untagged data ──────────────────────────────────────────────────────────────────────────────

describe("untagged data", () => {
  it("CAPABILITY, ENABLED, counts, FLAGS", () => {
    expect(text(compileCapability(["IMAP4rev2", "IMAP4rev1", "AUTH=PLAIN"]))).toBe("* CAPABILITY IMAP4rev2 IMAP4rev1 AUTH=PLAIN\r\n");
    expect(text(compileEnabled(["CONDSTORE", "UTF8=ACCEPT"]))).toBe("* ENABLED CONDSTORE UTF8=ACCEPT\r\n");
    expect(text(compileEnabled([]))).toBe("* ENABLED\r\n");
    expect(text(compileMessageCount(23, "EXISTS"))).toBe("* 23 EXISTS\r\n");
    expect(text(compileMessageCount(3, "EXPUNGE"))).toBe("* 3 EXPUNGE\r\n");
    expect(text(compileMessageCount(0, "RECENT"))).toBe("* 0 RECENT\r\n");
    expect(text(compileFlags(["\\Answered", "\\Seen", "$Forwarded"]))).toBe("* FLAGS (\\Answered \\Seen $Forwarded)\r\n");
  });

  it("SEARCH and SORT, with MODSEQ (RFC 7162 §3.1.5)", () => {
    expect(text(compileSearch([2, 84, 882]))).toBe("* SEARCH 2 84 882\r\n");
    expect(text(compileSearch([]))).toBe("* SEARCH\r\n");
    expect(text(compileSearch([2, 5, 6], { modseq: 917162500 }))).toBe("* SEARCH 2 5 6 (MODSEQ 917162500)\r\n");
    expect(text(compileSearch([], { modseq: 917162500 }))).toBe("* SEARCH\r\n");
    expect(text(compileSearch([5, 3], { command: "SORT" }))).toBe("* SORT 5 3\r\n");
  });

  it("ESEARCH (RFC 4731)", () => {
    expect(text(compileEsearch({ tag: "A282", uid: true, min: 2, max: 47, all: [2, 3, 4, 10, 11, 47], count: 6 }))).toBe(
      '* ESEARCH (TAG "A282") UID MIN 2 MAX 47 ALL 2:4,10:11,47 COUNT 6\r\n',
    );
    expect(text(compileEsearch({ tag: "A1", uid: false, all: [], count: 0 }))).toBe('* ESEARCH (TAG "A1") COUNT 0\r\n');
    expect(text(compileEsearch({ uid: false, min: 1, modseq: 9n }))).toBe("* ESEARCH MIN 1 MODSEQ 9\r\n");
  });

  it("THREAD (RFC 5256)", () => {
    const chain = (...ids: number[]) =>
      ids.reduceRight<{ id: number; children: never[] } | null>(
        (child, id) => ({ id, children: child ? [child as never] : [] }),
        null,
      )!;
    expect(
      text(
        compileThread([
          { id: 2, children: [] },
          { id: 3, children: [{ id: 6, children: [chain(4, 23), chain(44, 7, 96)] }] },
        ]),
      ),
    ).toBe("* THREAD (2)(3 6 (4 23)(44 7 96))\r\n");
    // A missing common parent at the root; a missing message in the middle is skipped.
    expect(text(compileThread([{ children: [chain(3), chain(5)] }]))).toBe("* THREAD ((3)(5))\r\n");
    expect(text(compileThread([{ id: 1, children: [{ children: [chain(2, 9)] }] }]))).toBe("* THREAD (1 2 9)\r\n");
    expect(text(compileThread([{ id: 1, children: [{ children: [chain(2), chain(3)] }] }]))).toBe("* THREAD (1 (2)(3))\r\n");
    expect(text(compileThread([]))).toBe("* THREAD\r\n");
  });

  it("VANISHED (RFC 7162 §3.2.10)", () => {
    expect(text(compileVanished([5, 1, 2, 3], true))).toBe("* VANISHED (EARLIER) 1:3,5\r\n");
    expect(text(compileVanished([405], false))).toBe("* VANISHED 405\r\n");
  });

  it("ID, NAMESPACE, QUOTA, QUOTAROOT", () => {
    expect(text(compileId(null))).toBe("* ID NIL\r\n");
    expect(text(compileId({ name: "Pigeon", version: "1.0", os: null }))).toBe('* ID ("name" "Pigeon" "version" "1.0" "os" NIL)\r\n');
    expect(text(compileNamespace([{ prefix: "", delimiter: "/" }]))).toBe('* NAMESPACE (("" "/")) NIL NIL\r\n');
    expect(text(compileNamespace([{ prefix: "", delimiter: "/" }], [{ prefix: "Other/", delimiter: "/" }], [{ prefix: "Public", delimiter: null }]))).toBe(
      '* NAMESPACE (("" "/")) (("Other/" "/")) (("Public" NIL))\r\n',
    );
    expect(text(compileQuota("", [{ name: "STORAGE", usage: 10, limit: 512 }, { name: "MESSAGE", usage: 2n, limit: 1000n }]))).toBe(
      '* QUOTA "" (STORAGE 10 512 MESSAGE 2 1000)\r\n',
    );
    expect(text(compileQuotaRoot("INBOX", [""]))).toBe('* QUOTAROOT "INBOX" ""\r\n');
  });

  it("LIST and LSUB, with extended data and mailbox name encoding", () => {
    expect(text(compileList({ attributes: ["\\HasNoChildren"], delimiter: "/", mailbox: "INBOX" }))).toBe(
      '* LIST (\\HasNoChildren) "/" "INBOX"\r\n',
    );
    expect(text(compileList({ attributes: [], delimiter: "/", mailbox: "Entwürfe" }))).toBe('* LIST () "/" "Entw&APw-rfe"\r\n');
    expect(text(compileList({ attributes: [], delimiter: "/", mailbox: "Entwürfe" }, { utf8: true }))).toBe(
      '* LIST () "/" "Entwürfe"\r\n',
    );
    expect(text(compileList({ attributes: ["\\Noselect"], delimiter: null, mailbox: "" }))).toBe('* LIST (\\Noselect) NIL ""\r\n');
    expect(text(compileList({ attributes: [], delimiter: "\\", mailbox: "a" }))).toBe('* LIST () "\\\\" "a"\r\n');
    expect(
      text(compileList({ attributes: ["\\Subscribed"], delimiter: "/", mailbox: "Foo", childInfo: ["SUBSCRIBED"], oldName: "Bär" })),
    ).toBe('* LIST (\\Subscribed) "/" "Foo" ("CHILDINFO" ("SUBSCRIBED") "OLDNAME" ("B&AOQ-r"))\r\n');
    expect(text(compileList({ attributes: ["\\Sent"], delimiter: "/", mailbox: "Sent" }, {}, "LSUB"))).toBe(
      '* LSUB (\\Sent) "/" "Sent"\r\n',
    );
  });

  it("STATUS data", () => {
    expect(
      text(
        compileStatusData("INBOX", {
          MESSAGES: 17,
          UIDNEXT: 4392,
          HIGHESTMODSEQ: 7011231777n,
          SIZE: 12345678901,
          MAILBOXID: "F1",
          APPENDLIMIT: null,
        }),
      ),
    ).toBe('* STATUS "INBOX" (MESSAGES 17 UIDNEXT 4392 HIGHESTMODSEQ 7011231777 SIZE 12345678901 MAILBOXID (F1) APPENDLIMIT NIL)\r\n');
    expect(text(compileStatusData("台北", { UNSEEN: 0 }))).toBe('* STATUS "&U,BTFw-" (UNSEEN 0)\r\n');
  });
});

// ─── ENVELOPE, BODYSTRUCTURE, FETCH ─────────────────────────────────────────────────────────────

/** The message of RFC 3501 §8's example FETCH. */
const rfcEnvelope: Envelope = {
  date: "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)",
  subject: "IMAP4rev1 WG mtg summary and minutes",
  from: [{ name: "Terry Gray", mailbox: "gray", host: "cac.washington.edu" }],
  to: [{ mailbox: "imap", host: "cac.washington.edu" }],
  cc: [
    { mailbox: "minutes", host: "CNRI.Reston.VA.US" },
    { name: "John Klensin", mailbox: "KLENSIN", host: "MIT.EDU" },
  ],
  messageId: "<B27397-0100000@cac.washington.edu>",
};
const rfcEnvelopeText =
  '("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" ' +
  '(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ' +
  '(("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ' +
  '((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL ' +
  '"<B27397-0100000@cac.washington.edu>")';

describe("ENVELOPE", () => {
  it("matches RFC 3501's example, sender and reply-to defaulting to from", () => {
    expect(value(envelopeValue(rfcEnvelope))).toBe(rfcEnvelopeText);
    expect(value(envelopeValue({ ...rfcEnvelope, sender: [], replyTo: [] }))).toBe(rfcEnvelopeText);
  });

  it("writes groups with start and end markers, and NIL for what is missing", () => {
    expect(value(envelopeValue({ to: [{ group: "undisclosed-recipients", members: [] }] }))).toBe(
      '(NIL NIL NIL NIL NIL ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL)',
    );
    expect(
      value(
        envelopeValue({
          subject: "Grüße\r\nfolded",
          from: [{ name: "Ann", mailbox: "ann", host: "a.example" }],
          sender: [{ mailbox: "list", host: "l.example" }],
          inReplyTo: "<x@y>",
        }),
      ),
    ).toBe(
      '(NIL {15}\r\nGrüße\r\nfolded (("Ann" NIL "ann" "a.example")) ((NIL NIL "list" "l.example")) (("Ann" NIL "ann" "a.example")) NIL NIL NIL "<x@y>" NIL)',
    );
  });
});

describe("BODY and BODYSTRUCTURE", () => {
  const textPart: BodyStructure = {
    type: "TEXT",
    subtype: "PLAIN",
    params: { CHARSET: "US-ASCII" },
    encoding: "7BIT",
    size: 3028,
    lines: 92,
  };

  it("a single text part (RFC 3501 §7.4.2 example)", () => {
    expect(value(bodyStructureValue(textPart, false))).toBe('("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)');
    expect(value(bodyStructureValue(textPart, true))).toBe(
      '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL)',
    );
  });

  it("a multipart, parts without spaces between them (RFC 3501 §7.4.2 example)", () => {
    const mixed: BodyStructure = {
      subtype: "MIXED",
      params: { BOUNDARY: "b1" },
      parts: [
        { ...textPart, size: 1152, lines: 23 },
        {
          type: "TEXT",
          subtype: "PLAIN",
          params: { CHARSET: "US-ASCII", NAME: "cc.diff" },
          id: "<960723163407.20117h@cac.washington.edu>",
          description: "Compiler diff",
          encoding: "BASE64",
          size: 4554,
          lines: 73,
        },
      ],
    };
    expect(value(bodyStructureValue(mixed, false))).toBe(
      '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") ' +
        '"<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73) "MIXED")',
    );
    expect(
      value(
        bodyStructureValue({ ...mixed, disposition: { type: "inline" }, language: ["en", "de"], location: "http://x/" }, true),
      ),
    ).toBe(
      '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23 NIL NIL NIL NIL)("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") ' +
        '"<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "b1") ' +
        '("inline" NIL) ("en" "de") "http://x/")',
    );
  });

  it("attachments with disposition, md5 and non-text parts", () => {
    const image: BodyStructure = {
      type: "image",
      subtype: "png",
      encoding: "base64",
      size: 100,
      md5: "Q2hlY2sgSW50ZWdyaXR5IQ==",
      disposition: { type: "attachment", params: { filename: "fête.png" } },
    };
    expect(value(bodyStructureValue(image, true), true)).toBe(
      '("image" "png" NIL NIL NIL "base64" 100 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("attachment" ("filename" "fête.png")) NIL NIL)',
    );
    expect(value(bodyStructureValue(image, false))).toBe('("image" "png" NIL NIL NIL "base64" 100)');
  });

  it("message/rfc822 carries the envelope, body and lines of the enclosed message", () => {
    const message: BodyStructure = {
      type: "MESSAGE",
      subtype: "RFC822",
      encoding: "7BIT",
      size: 4000,
      lines: 80,
      envelope: { subject: "inner" },
      body: textPart,
    };
    expect(value(bodyStructureValue(message, false))).toBe(
      '("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 4000 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) ' +
        '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92) 80)',
    );
    expect(() => bodyStructureValue({ ...message, envelope: undefined }, true)).toThrow(RangeError);
    expect(() => bodyStructureValue({ subtype: "mixed", parts: [] }, true)).toThrow(RangeError);
  });
});

describe("FETCH", () => {
  it("writes the simple attributes (exact bytes)", () => {
    expect(
      text(
        compileFetch(12, [
          { name: "FLAGS", value: ["\\Seen", "$Label1"] },
          { name: "UID", value: 4827313 },
          { name: "INTERNALDATE", value: new Date("1996-07-17T09:44:25Z") },
          { name: "RFC822.SIZE", value: 4286 },
          { name: "MODSEQ", value: 12121231000 },
          { name: "EMAILID", value: "M6d99ac3275bb4e" },
          { name: "THREADID", value: null },
          { name: "SAVEDATE", value: null },
        ]),
      ),
    ).toBe(
      '* 12 FETCH (FLAGS (\\Seen $Label1) UID 4827313 INTERNALDATE "17-Jul-1996 09:44:25 +0000" RFC822.SIZE 4286 ' +
        "MODSEQ (12121231000) EMAILID (M6d99ac3275bb4e) THREADID NIL SAVEDATE NIL)\r\n",
    );
  });

  it("writes ENVELOPE, BODY and BODYSTRUCTURE", () => {
    const body: BodyStructure = { type: "TEXT", subtype: "PLAIN", encoding: "7BIT", size: 3, lines: 1 };
    expect(
      text(
        compileFetch(1, [
          { name: "ENVELOPE", value: rfcEnvelope },
          { name: "BODY", value: body },
          { name: "BODYSTRUCTURE", value: body },
        ]),
      ),
    ).toBe(
      `* 1 FETCH (ENVELOPE ${rfcEnvelopeText} BODY ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 3 1) ` +
        'BODYSTRUCTURE ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 3 1 NIL NIL NIL NIL))\r\n',
    );
  });

  it("writes body sections as literals with their section and origin", () => {
    const header = Buffer.from("From: a@b\r\nTo: c@d\r\n\r\n");
    expect(
      compileFetch(2, [
        { name: "BODY[]", section: { part: [], text: "HEADER.FIELDS", fields: ["From", "To"] }, origin: 0, value: header },
        { name: "BODY[]", section: { part: [1, 2], text: "MIME" }, value: null },
        { name: "BODY[]", section: { part: [] }, value: "x" },
        { name: "RFC822.HEADER", value: Buffer.from("A: b\r\n") },
        { name: "BINARY.SIZE[]", part: [1, 2], value: 42 },
      ]),
    ).toEqual(
      Buffer.from(
        `* 2 FETCH (BODY[HEADER.FIELDS (From To)]<0> {${header.length}}\r\n${header}` +
          " BODY[1.2.MIME] NIL BODY[] {1}\r\nx RFC822.HEADER {6}\r\nA: b\r\n BINARY.SIZE[1.2] 42)\r\n",
        "latin1",
      ),
    );
  });

  it("writes BINARY data as literal8 only when it holds NUL (RFC 3516)", () => {
    expect(text(compileFetch(3, [{ name: "BINARY[]", part: [1], value: Buffer.from("a\0b") }]))).toBe(
      "* 3 FETCH (BINARY[1] ~{3}\r\na\0b)\r\n",
    );
    expect(text(compileFetch(3, [{ name: "BINARY[]", part: [2], origin: 10, value: Buffer.from("abc") }]))).toBe(
      "* 3 FETCH (BINARY[2]<10> {3}\r\nabc)\r\n",
    );
    expect(text(compileFetch(3, [{ name: "BINARY[]", part: [], value: null }]))).toBe("* 3 FETCH (BINARY[] NIL)\r\n");
  });

  it("formats sections as clients sent them", () => {
    expect(formatSection({ part: [] })).toBe("");
    expect(formatSection({ part: [3, 1] })).toBe("3.1");
    expect(formatSection({ part: [2], text: "HEADER.FIELDS.NOT", fields: ["X-Spam", "odd name"] })).toBe(
      '2.HEADER.FIELDS.NOT (X-Spam "odd name")',
    );
  });

  it("formats date-times in a zone", () => {
    const date = new Date("1996-07-17T09:44:25Z");
    expect(formatDateTime(date)).toBe("17-Jul-1996 09:44:25 +0000");
    expect(formatDateTime(date, -420)).toBe("17-Jul-1996 02:44:25 -0700");
    expect(formatDateTime(new Date("2024-02-01T00:00:00Z"), 330)).toBe("01-Feb-2024 05:30:00 +0530");
  });
});

// ─── Mailbox names ──────────────────────────────────────────────────────────────────────────────

describe("mailbox names (modified UTF-7, RFC 3501 §5.1.3)", () => {
  it("encodes and decodes RFC 3501's example", () => {
    expect(encodeModifiedUtf7("~peter/mail/台北/日本語")).toBe("~peter/mail/&U,BTFw-/&ZeVnLIqe-");
    expect(decodeModifiedUtf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-")).toBe("~peter/mail/台北/日本語");
  });

  it("escapes & and encodes non-printable and astral characters", () => {
    expect(encodeModifiedUtf7("Tom & Jerry")).toBe("Tom &- Jerry");
    expect(decodeModifiedUtf7("Tom &- Jerry")).toBe("Tom & Jerry");
    expect(encodeModifiedUtf7("Entwürfe")).toBe("Entw&APw-rfe");
    expect(encodeModifiedUtf7("tab\there")).toBe("tab&AAk-here");
    expect(decodeModifiedUtf7(encodeModifiedUtf7("📧 mail"))).toBe("📧 mail");
  });

  it("rejects malformed and non-canonical encodings", () => {
    for (const bad of [
      "&",
      "&U,BTFw",
      "&U,BTFw-&ZeVnLIqe-", // two shifts in a row
      "&AGE-", // printable ASCII encoded
      "&APx-", // non-zero padding bits
      "&AP-", // odd number of bytes
      "&A/w-", // "/" instead of ","
      "&APw=-",
    ]) {
      expect(decodeModifiedUtf7(bad), bad).toBeUndefined();
    }
    expect(decodeModifiedUtf7(encodeModifiedUtf7("\uD83D"))).toBeUndefined();
  });

  it("passes UTF-8 through when enabled (UTF8=ACCEPT, RFC 6855)", () => {
    expect(encodeMailboxName("Entwürfe", { utf8: true })).toBe("Entwürfe");
    expect(encodeMailboxName("Entwürfe")).toBe("Entw&APw-rfe");
    expect(decodeMailboxName("Entw&APw-rfe")).toBe("Entwürfe");
    expect(decodeMailboxName("Entw&APw-rfe", { utf8: true })).toBe("Entw&APw-rfe");
    expect(decodeMailboxName("inbox")).toBe("INBOX");
    expect(decodeMailboxName("Grüße")).toBe("Grüße");
  });

  it("random names survive encode → decode", () => {
    const next = random(42);
    const alphabet = ["a", "&", "-", " ", "/", "ü", "台", "📧", "\t", "~", ",", "+", "\u007f"];
    for (let i = 0; i < 1000; i++) {
      const name = Array.from({ length: Math.floor(next() * 20) }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
      const encoded = encodeModifiedUtf7(name);
      expect(encoded).toMatch(/^[\x20-\x7e]*$/);
      expect(decodeModifiedUtf7(encoded)).toBe(name);
    }
  });
});
