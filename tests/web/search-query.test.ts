import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession } from "../../lib/auth/sessions.ts";
import { withImap, type ImapIdentity } from "../../lib/imap-client/pool.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { andAll, compileSearchQuery, parseSearchQuery, parseSize, searchConversations, zonedMidnight } from "../../lib/web/mail/search-query.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { startMailStack, type MailStack } from "./mail-stack.ts";

// The search box: Gmail's operators parsed and translated to IMAP SEARCH (pure), then every
// operator run against Pigeon's real IMAP server over a web session's token, results grouped
// into conversations.

describe("parseSearchQuery", () => {
  it("reads operators, quoted phrases, negation, OR and groups", () => {
    expect(parseSearchQuery("from:alice dinner")).toEqual({
      type: "and",
      nodes: [
        { type: "term", op: "from", value: "alice", quoted: false },
        { type: "term", op: null, value: "dinner", quoted: false },
      ],
    });
    expect(parseSearchQuery('subject:"quarterly report" -is:read')).toEqual({
      type: "and",
      nodes: [
        { type: "term", op: "subject", value: "quarterly report", quoted: true },
        { type: "not", node: { type: "term", op: "is", value: "read", quoted: false } },
      ],
    });
    // OR binds tighter than the implicit AND.
    expect(parseSearchQuery("from:a OR from:b pizza")).toEqual({
      type: "and",
      nodes: [
        { type: "or", nodes: [{ type: "term", op: "from", value: "a", quoted: false }, { type: "term", op: "from", value: "b", quoted: false }] },
        { type: "term", op: null, value: "pizza", quoted: false },
      ],
    });
    expect(parseSearchQuery("{from:a from:b}")).toEqual(parseSearchQuery("from:a OR from:b"));
    expect(parseSearchQuery("from:a | from:b")).toEqual(parseSearchQuery("from:a OR from:b"));
    expect(parseSearchQuery("subject:(dinner movie)")).toEqual({
      type: "and",
      nodes: [
        { type: "term", op: "subject", value: "dinner", quoted: false },
        { type: "term", op: "subject", value: "movie", quoted: false },
      ],
    });
    expect(parseSearchQuery("-(a b)")).toEqual({
      type: "not",
      node: { type: "and", nodes: [{ type: "term", op: null, value: "a", quoted: false }, { type: "term", op: null, value: "b", quoted: false }] },
    });
    expect(parseSearchQuery('"a phrase')).toEqual({ type: "term", op: null, value: "a phrase", quoted: true });
    expect(parseSearchQuery("")).toEqual({ type: "and", nodes: [] });
    // "or" in lower case is a word, as in Gmail; a hyphen inside a word is not negation.
    expect(parseSearchQuery("this or that")).toMatchObject({ type: "and", nodes: [{ value: "this" }, { value: "or" }, { value: "that" }] });
    expect(parseSearchQuery("e-mail")).toEqual({ type: "term", op: null, value: "e-mail", quoted: false });
  });

  it("refuses absurd queries", () => {
    expect(() => parseSearchQuery("a ".repeat(100))).toThrow(/at most 64 terms/);
    expect(() => parseSearchQuery("x".repeat(1001))).toThrow(/at most 1000 characters/);
  });
});

describe("compileSearchQuery", () => {
  const now = new Date("2026-06-15T12:00:00Z");
  const c = (q: string, tz?: string) => compileSearchQuery(q, { now, timeZone: tz, me: "me@example.test" });

  it("maps each operator to an IMAP SEARCH key", () => {
    expect(c("from:alice").search).toEqual({ from: "alice" });
    expect(c("to:bob cc:carol bcc:dave subject:hi").search).toEqual({ to: "bob", cc: "carol", bcc: "dave", subject: "hi" });
    expect(c("from:me").search).toEqual({ from: "me@example.test" });
    expect(c("is:unread").search).toEqual({ seen: false });
    expect(c("is:read").search).toEqual({ seen: true });
    expect(c("is:starred").search).toEqual({ flagged: true });
    expect(c("has:attachment").search).toEqual({ or: [{ header: { "content-type": "multipart/mixed" } }, { header: { "content-disposition": "attachment" } }] });
    expect(c("before:2026/01/31").search).toEqual({ before: new Date("2026-01-31T00:00:00Z") });
    expect(c("after:2026-01-31").search).toEqual({ since: new Date("2026-01-31T00:00:00Z") });
    expect(c("after:01/31/2026").search).toEqual({ since: new Date("2026-01-31T00:00:00Z") });
    expect(c("before:2026/01/31", "America/New_York").search).toEqual({ before: new Date("2026-01-31T05:00:00Z") });
    expect(c("older_than:2d").search).toEqual({ before: new Date("2026-06-13T12:00:00Z") });
    expect(c("newer_than:1m").search).toEqual({ since: new Date("2026-05-15T12:00:00Z") });
    expect(c("newer_than:1y").search).toEqual({ since: new Date("2025-06-15T12:00:00Z") });
    expect(c("larger:10M").search).toEqual({ larger: 10 * 1024 * 1024 });
    expect(c("smaller:500k").search).toEqual({ smaller: 500 * 1024 });
    expect(c('"quarterly report"').search).toEqual({ text: "quarterly report" });
    expect(c("budget").search).toEqual({ text: "budget" });
    expect(c("-from:alice").search).toEqual({ not: { from: "alice" } });
    expect(c("from:alice OR from:bob").search).toEqual({ or: [{ from: "alice" }, { from: "bob" }] });
    expect(c("").search).toEqual({ all: true });
    expect(c("foo:bar").search).toEqual({ text: "foo:bar" });
  });

  it("takes in: and label: out of the criteria as the folder to search", () => {
    expect(c("in:sent to:bob")).toEqual({ search: { to: "bob" }, folders: ["sent"], anywhere: false });
    expect(c("label:Projects/2026")).toEqual({ search: { all: true }, folders: ["Projects/2026"], anywhere: false });
    expect(c("in:anywhere budget")).toEqual({ search: { text: "budget" }, folders: [], anywhere: true });
    expect(c("in:starred").search).toEqual({ flagged: true });
    expect(() => c("-in:sent")).toThrow(/cannot be negated/);
    expect(() => c("in:sent OR in:inbox")).toThrow(/cannot be negated or OR-ed/);
    expect(() => c("in:sent in:inbox")).toThrow(/one folder at a time/);
  });

  it("keeps clashing keys apart (an object has each key once)", () => {
    expect(c("from:alice from:bob").search).toEqual({ from: "alice", or: [{ from: "bob" }] });
    expect(c("from:a from:b from:c").search).toEqual({ from: "a", or: [{ from: "b", or: [{ from: "c" }] }] });
    expect(c("(from:a OR from:b) (to:c OR to:d)").search).toEqual({ or: [{ from: "a" }, { from: "b" }], not: { not: { or: [{ to: "c" }, { to: "d" }] } } });
    expect(andAll([{ or: [{ seen: true }, { flagged: true }] }, { or: [{ from: "a" }, { from: "b" }] }, { or: [{ to: "c" }, { to: "d" }] }])).toEqual({
      or: [{ seen: true }, { flagged: true }],
      not: { not: { or: [{ from: "a" }, { from: "b" }], not: { not: { or: [{ to: "c" }, { to: "d" }] } } } },
    });
  });

  it("says what is wrong with a bad value", () => {
    expect(() => c("before:yesterday")).toThrow(/not a date/);
    expect(() => c("before:2026/02/30")).toThrow(/not a date/);
    expect(() => c("older_than:3q")).toThrow(/not an age/);
    expect(() => c("larger:lots")).toThrow(/not a size/);
    expect(() => c("is:important")).toThrow(/cannot search for is:important/);
    expect(() => c("has:drive")).toThrow(/cannot search for has:drive/);
    expect(() => c("from:")).toThrow(/Say what to look for/);
    expect(parseSize("1.5M")).toBe(1572864);
  });

  it("finds local midnight in a time zone across DST", () => {
    expect(zonedMidnight(2026, 3, 8, "America/New_York").toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(zonedMidnight(2026, 3, 9, "America/New_York").toISOString()).toBe("2026-03-09T04:00:00.000Z");
    expect(zonedMidnight(2026, 7, 1, "Asia/Kolkata").toISOString()).toBe("2026-06-30T18:30:00.000Z");
  });
});

// ---------------------------------------------------------------------------------------------

let stack: MailStack;
let me: ImapIdentity;
const DAY = 86_400_000;
const now = Date.now();
let domain = "";

function mail(o: { from: string; to: string; cc?: string; subject: string; body: string; id: string; inReplyTo?: string; attachment?: Buffer }): Buffer {
  const head = [
    `From: ${o.from}`,
    `To: ${o.to}`,
    ...(o.cc ? [`Cc: ${o.cc}`] : []),
    `Subject: ${o.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${o.id}`,
    ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`, `References: ${o.inReplyTo}`] : []),
    "MIME-Version: 1.0",
  ];
  const lines = o.attachment
    ? [
        ...head,
        'Content-Type: multipart/mixed; boundary="mix"',
        "",
        "--mix",
        "Content-Type: text/plain; charset=utf-8",
        "",
        o.body,
        "--mix",
        'Content-Type: image/jpeg; name="beach.jpg"',
        'Content-Disposition: attachment; filename="beach.jpg"',
        "Content-Transfer-Encoding: base64",
        "",
        o.attachment.toString("base64").replace(/.{76}/g, "$&\r\n"),
        "--mix--",
      ]
    : [...head, "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "", o.body];
  return Buffer.from(lines.join("\r\n") + "\r\n");
}

beforeAll(async () => {
  stack = await startMailStack();
  const { users, domain: d } = await seedUsers(["searcher"]);
  domain = d;
  const u = users.searcher;
  const session = await createSession({ userId: u.id });
  me = { sessionId: session.id, userId: u.id, email: u.email };
  const to = u.email;
  const put = (raw: Buffer, daysAgo: number, mailbox?: string, flags: string[] = []) =>
    deliverMessage({ raw, targets: [{ userId: u.id, mailbox, flags }], internalDate: new Date(now - daysAgo * DAY) });

  await put(mail({ from: "Alice <alice@a.test>", to, cc: "carol@c.test", subject: "Quarterly report", body: "The budget numbers are in.", id: "<q@a.test>" }), 60);
  await put(mail({ from: "Bob <bob@b.test>", to, subject: "Dinner plans", body: "Pizza tonight?", id: "<dinner@b.test>" }), 30, undefined, ["\\Seen", "\\Flagged"]);
  await put(mail({ from: to, to: "Dave <dave@d.test>", subject: "Re: Dinner plans", body: "Count me in.", id: "<re-dinner@me.test>", inReplyTo: "<dinner@b.test>" }), 29, "\\Sent", ["\\Seen"]);
  await put(mail({ from: "Alice <alice@a.test>", to, subject: "Photos", body: "From the trip.", id: "<photos@a.test>", attachment: Buffer.alloc(60_000, 7) }), 10, "\\Archive", ["\\Seen"]);
  await put(mail({ from: "Eve <eve@e.test>", to, subject: "Spam offer", body: "Cheap budget watches", id: "<spam@e.test>" }), 5, "\\Junk");
  await put(mail({ from: "Frank <frank@f.test>", to, subject: "Old note", body: "From long ago.", id: "<old@f.test>" }), 800, undefined, ["\\Seen"]);
  await put(mail({ from: "Gina <gina@g.test>", to, subject: "Trashed budget", body: "Deleted budget memo.", id: "<trash@g.test>" }), 3, "\\Trash", ["\\Seen"]);
  await put(mail({ from: "Hugo <hugo@h.test>", to, subject: "Café meeting", body: "Rendez-vous au café.", id: "<cafe@h.test>" }), 1, undefined, ["\\Seen"]);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function subjects(query: string, timeZone?: string): Promise<string[]> {
  const page = await withImap(me, (c) => searchConversations(c, { query, timeZone, me: me.email }), { lane: "aux" });
  return page.rows.map((r) => r.subject);
}

const dateOf = (daysAgo: number) => {
  const d = new Date(now - daysAgo * DAY);
  return `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, "0")}/${String(d.getUTCDate()).padStart(2, "0")}`;
};

describe("searchConversations over IMAP", () => {
  it("searches every folder but Trash and Junk by default, newest first", async () => {
    expect(await subjects("")).toEqual(["Café meeting", "Photos", "Re: Dinner plans", "Quarterly report", "Old note"]);
  });

  it("from: to: cc: subject:", async () => {
    expect(await subjects("from:alice")).toEqual(["Photos", "Quarterly report"]);
    expect(await subjects("from:alice@a.test")).toEqual(["Photos", "Quarterly report"]);
    expect(await subjects("to:dave")).toEqual(["Re: Dinner plans"]);
    expect(await subjects("from:me")).toEqual(["Re: Dinner plans"]);
    expect(await subjects("cc:carol")).toEqual(["Quarterly report"]);
    expect(await subjects("subject:quarterly")).toEqual(["Quarterly report"]);
    expect(await subjects("subject:café")).toEqual(["Café meeting"]);
  });

  it("groups a thread's matches into one conversation", async () => {
    const page = await withImap(me, (c) => searchConversations(c, { query: "subject:dinner" }), { lane: "aux" });
    expect(page.rows).toHaveLength(1);
    expect(page.rows[0].count).toBe(2);
    expect(page.rows[0].refs.map((r) => r.mailbox).sort()).toEqual(["INBOX", "Sent"]);
    expect(page.rows[0].starred).toBe(true);
  });

  it("has:attachment, is:unread, is:read, is:starred", async () => {
    expect(await subjects("has:attachment")).toEqual(["Photos"]);
    expect(await subjects("is:unread")).toEqual(["Quarterly report"]);
    expect(await subjects("is:read")).toEqual(["Café meeting", "Photos", "Re: Dinner plans", "Old note"]);
    expect(await subjects("is:starred")).toEqual(["Dinner plans"]);
    expect(await subjects("-is:starred -is:unread")).toEqual(["Café meeting", "Photos", "Re: Dinner plans", "Old note"]);
  });

  it("in:FOLDER, in:anywhere", async () => {
    expect(await subjects("in:archive")).toEqual(["Photos"]);
    expect(await subjects("in:Archive")).toEqual(["Photos"]);
    expect(await subjects("in:sent")).toEqual(["Re: Dinner plans"]);
    expect(await subjects("in:spam")).toEqual(["Spam offer"]);
    expect(await subjects("in:trash")).toEqual(["Trashed budget"]);
    expect(await subjects("in:inbox is:read")).toEqual(["Café meeting", "Dinner plans", "Old note"]);
    expect(await subjects("budget")).toEqual(["Quarterly report"]);
    expect(await subjects("in:anywhere budget")).toEqual(["Trashed budget", "Spam offer", "Quarterly report"]);
    await expect(subjects("in:nowhere")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("before: after: older_than: newer_than:", async () => {
    expect(await subjects(`before:${dateOf(45)}`)).toEqual(["Quarterly report", "Old note"]);
    expect(await subjects(`after:${dateOf(20)}`)).toEqual(["Café meeting", "Photos"]);
    expect(await subjects(`after:${dateOf(45)} before:${dateOf(20)}`)).toEqual(["Re: Dinner plans"]);
    expect(await subjects("older_than:1y")).toEqual(["Old note"]);
    expect(await subjects("newer_than:14d")).toEqual(["Café meeting", "Photos"]);
    expect(await subjects("older_than:7d newer_than:2m")).toEqual(["Photos", "Re: Dinner plans", "Quarterly report"]);
  });

  it("larger: smaller:", async () => {
    expect(await subjects("larger:50K")).toEqual(["Photos"]);
    expect(await subjects("smaller:50K from:alice")).toEqual(["Quarterly report"]);
  });

  it("free text from the full-text index, quoted phrases, negation, OR", async () => {
    expect(await subjects("pizza")).toEqual(["Dinner plans"]);
    expect(await subjects('"budget numbers"')).toEqual(["Quarterly report"]);
    expect(await subjects("café")).toEqual(["Café meeting"]);
    expect(await subjects("-from:alice")).toEqual(["Café meeting", "Re: Dinner plans", "Old note"]);
    expect(await subjects("from:alice -has:attachment")).toEqual(["Quarterly report"]);
    expect(await subjects("from:bob OR from:frank")).toEqual(["Dinner plans", "Old note"]);
    expect(await subjects("{from:bob from:hugo}")).toEqual(["Café meeting", "Dinner plans"]);
    expect(await subjects("(from:alice OR from:bob) (is:unread OR is:starred)")).toEqual(["Dinner plans", "Quarterly report"]);
    expect(await subjects("(from:alice OR from:bob) (is:unread OR is:starred) (subject:quarterly OR subject:dinner)")).toEqual(["Dinner plans", "Quarterly report"]);
    expect(await subjects("from:alice from:a.test")).toEqual(["Photos", "Quarterly report"]);
    expect(await subjects("nothingmatchesthis")).toEqual([]);
  });

  it("sees mail that arrived since the last search on the same pooled connection", async () => {
    expect(await subjects("zanzibar")).toEqual([]);
    await deliverMessage({ raw: mail({ from: "Ivy <ivy@i.test>", to: me.email, subject: "Zanzibar trip", body: "Tickets booked.", id: "<zz@i.test>" }), targets: [{ userId: me.userId }] });
    expect(await subjects("zanzibar")).toEqual(["Zanzibar trip"]);
  });

  it("pages with an offset cursor", async () => {
    const first = await withImap(me, (c) => searchConversations(c, { query: "", limit: 2 }), { lane: "aux" });
    expect(first.rows.map((r) => r.subject)).toEqual(["Zanzibar trip", "Café meeting"]);
    expect(first.total).toBe(6);
    expect(first.nextCursor).toBe("s.2");
    const second = await withImap(me, (c) => searchConversations(c, { query: "", limit: 2, cursor: first.nextCursor }), { lane: "aux" });
    expect(second.rows.map((r) => r.subject)).toEqual(["Photos", "Re: Dinner plans"]);
    void domain;
  });
});
