import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintImapToken } from "../../lib/auth/imap-token.ts";
import { createSession, revokeSession } from "../../lib/auth/sessions.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { rawMessage, seedUsers } from "../helpers/fixtures.ts";
import { RawImap, startTestImap, type TestImap } from "./helpers.ts";

// Exact bytes over a raw socket: greetings and capabilities by state, TLS before login, literals,
// limits, BAD/NO codes, and the response formats clients parse.

let db: TestDatabase;
let server: TestImap;
let limited: TestImap;
const open: RawImap[] = [];

beforeAll(async () => {
  process.env.AUTH_SECRET ??= "imap-test-secret-0123456789abcdef0123";
  db = await createTestDatabase();
  server = await startTestImap();
  limited = await startTestImap({
    limits: {
      maxLineLength: 1000,
      appendLimit: 2000,
      maxBadCommands: 3,
      preAuthTimeoutMs: 300,
      idleTimeoutMs: 600,
      maxAuthFailures: 2,
      webSessionCheckMs: 100,
      idleKeepaliveMs: 1000,
    },
  });
});
afterAll(async () => {
  for (const c of open) c.close();
  await server?.close();
  await limited?.close();
  await db?.drop();
});

async function connect(port = server.port, tls = false): Promise<RawImap> {
  const c = await RawImap.connect(port, tls ? { tls: true, ca: server.tls.cert } : {});
  open.push(c);
  return c;
}

async function loggedIn(email: string, port = server.port): Promise<RawImap> {
  const c = await connect(port);
  await c.login(email, "correct horse", server.tls.cert);
  return c;
}

const multipart = Buffer.from(
  [
    "From: Bob Example <bob@remote.example>",
    "To: alice@example.test",
    "Subject: multi",
    "Date: Wed, 04 Feb 2026 09:30:00 +0100",
    "Message-ID: <multi@remote.example>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b1"',
    "",
    "--b1",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Caf=C3=A9 au lait",
    "--b1",
    "Content-Type: message/rfc822",
    "",
    "From: inner@x.test",
    "Subject: inner",
    "",
    "inner body",
    "--b1--",
    "",
  ].join("\r\n"),
);

describe("connection and login", () => {
  it("greets with the pre-TLS capabilities on the STARTTLS port and refuses login before TLS", async () => {
    const c = await RawImap.connect(server.port);
    open.push(c);
    c.write("a CAPABILITY\r\n");
    const caps = await c.readTagged("a");
    expect(caps).toBe("* CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE STARTTLS LOGINDISABLED\r\na OK CAPABILITY completed\r\n");
    expect(await c.command("b", 'LOGIN "x@y" "z"')).toBe("b NO [PRIVACYREQUIRED] Log in only after STARTTLS\r\n");
    expect(await c.command("c", "AUTHENTICATE PLAIN AHhAeQ==")).toBe("c NO [PRIVACYREQUIRED] Log in only after STARTTLS\r\n");
    expect(await c.command("d", "SELECT INBOX")).toBe("d BAD Log in first\r\n");
  });

  it("sends the exact greeting", async () => {
    const net = await import("node:net");
    const s = net.connect(server.port, "127.0.0.1");
    const greeting = await new Promise<string>((resolve) => s.once("data", (d) => resolve(d.toString("latin1"))));
    s.destroy();
    expect(greeting).toBe(
      "* OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE STARTTLS LOGINDISABLED] mail.pigeon.test Pigeon IMAP ready\r\n",
    );
  });

  it("offers the SASL mechanisms once TLS is up (implicit TLS port)", async () => {
    const c = await connect(server.securePort, true);
    const caps = await c.command("a", "CAPABILITY");
    expect(caps).toContain("AUTH=PLAIN AUTH=LOGIN AUTH=XOAUTH2 AUTH=OAUTHBEARER");
    expect(caps).not.toContain("STARTTLS");
    expect(caps).not.toContain("LOGINDISABLED");
    expect(await c.command("b", "STARTTLS")).toBe("b BAD TLS is already active\r\n");
  });

  it("drops commands pipelined after STARTTLS (no command injection)", async () => {
    const c = await connect();
    c.write("s STARTTLS\r\nx NOOP\r\n");
    const out = await c.readTagged("s");
    expect(out).toBe("s OK Begin TLS negotiation now\r\n");
    const tls = await import("node:tls");
    const plain = c.socket;
    plain.removeAllListeners("data");
    const secure = tls.connect({ socket: plain, ca: server.tls.cert, servername: "localhost" });
    await new Promise<void>((r) => secure.once("secureConnect", () => r()));
    let seen = "";
    secure.on("data", (d) => (seen += d.toString("latin1")));
    secure.write("y NOOP\r\n");
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toBe("y OK NOOP completed\r\n");
    secure.destroy();
  });

  it("logs in with LOGIN and answers with the authenticated capabilities", async () => {
    const { users } = await seedUsers(["login"]);
    const c = await connect();
    await c.startTls(server.tls.cert);
    const out = await c.command("l", `LOGIN ${users.login.email} "correct horse"`);
    expect(out).toMatch(/^l OK \[CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL\+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS .*APPENDLIMIT=26214400 STATUS=SIZE\] .* logged in\r\n$/);
    expect(out).toContain(" CONDSTORE QRESYNC ESEARCH ");
    expect(out).toContain(" SORT SORT=DISPLAY THREAD=REFERENCES THREAD=ORDEREDSUBJECT OBJECTID QUOTA ");
    expect(await c.command("m", "LOGIN a b")).toBe("m BAD Not allowed with a mailbox selected\r\n".replace("Not allowed with a mailbox selected", "Select a mailbox first"));
  });

  it("takes the password as a synchronizing literal", async () => {
    const { users } = await seedUsers(["literal"]);
    const c = await connect();
    await c.startTls(server.tls.cert);
    c.write(`l LOGIN ${users.literal.email} {13}\r\n`);
    expect(await c.readUntil((d) => d.endsWith("\r\n"))).toBe("+ Ready for literal data\r\n");
    c.write("correct horse\r\n");
    expect(await c.readTagged("l")).toMatch(/^l OK \[CAPABILITY /);
  });

  it("AUTHENTICATE PLAIN with and without SASL-IR, LOGIN, cancel, XOAUTH2", async () => {
    const { users } = await seedUsers(["sasl"]);
    const email = users.sasl.email;
    const plain = Buffer.from(`\0${email}\0correct horse`).toString("base64");

    const a = await connect(server.securePort, true);
    expect(await a.command("a", `AUTHENTICATE PLAIN ${plain}`)).toMatch(/^a OK \[CAPABILITY /);

    const b = await connect(server.securePort, true);
    b.write("b AUTHENTICATE PLAIN\r\n");
    expect(await b.readUntil((d) => d.endsWith("\r\n"))).toBe("+ \r\n");
    b.write(plain + "\r\n");
    expect(await b.readTagged("b")).toMatch(/^b OK /);

    const c = await connect(server.securePort, true);
    c.write("c AUTHENTICATE LOGIN\r\n");
    expect(await c.readUntil((d) => d.endsWith("\r\n"))).toBe(`+ ${Buffer.from("Username:").toString("base64")}\r\n`);
    c.write(Buffer.from(email).toString("base64") + "\r\n");
    expect(await c.readUntil((d) => d.endsWith("\r\n"))).toBe(`+ ${Buffer.from("Password:").toString("base64")}\r\n`);
    c.write(Buffer.from("correct horse").toString("base64") + "\r\n");
    expect(await c.readTagged("c")).toMatch(/^c OK /);

    const d = await connect(server.securePort, true);
    d.write("d AUTHENTICATE PLAIN\r\n");
    await d.readUntil((x) => x.endsWith("\r\n"));
    d.write("*\r\n");
    expect(await d.readTagged("d")).toBe("d BAD Authentication cancelled\r\n");
    expect(await d.command("e", "AUTHENTICATE CRAM-MD5")).toBe("e NO [CANNOT] Unsupported authentication mechanism CRAM-MD5\r\n");

    const session = await createSession({ userId: users.sasl.id });
    const token = mintImapToken({ sessionId: session.id, userId: users.sasl.id });
    const x = await connect(server.securePort, true);
    const xoauth = Buffer.from(`user=${email}\x01auth=Bearer ${token}\x01\x01`).toString("base64");
    expect(await x.command("x", `AUTHENTICATE XOAUTH2 ${xoauth}`)).toMatch(/^x OK /);

    const y = await connect(server.securePort, true);
    const bad = Buffer.from(`user=${email}\x01auth=Bearer nope\x01\x01`).toString("base64");
    y.write(`y AUTHENTICATE XOAUTH2 ${bad}\r\n`);
    const challenge = await y.readUntil((t) => t.endsWith("\r\n"));
    expect(JSON.parse(Buffer.from(challenge.slice(2), "base64").toString())).toMatchObject({ status: "401" });
    y.write("\r\n");
    expect(await y.readTagged("y")).toBe("y NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
  });

  it("ends a token login when its web session is revoked", async () => {
    const { users } = await seedUsers(["revoked"]);
    const session = await createSession({ userId: users.revoked.id });
    const token = mintImapToken({ sessionId: session.id, userId: users.revoked.id });
    const c = await RawImap.connect(limited.securePort, { tls: true, ca: server.tls.cert });
    open.push(c);
    const ir = Buffer.from(`n,a=${users.revoked.email},\x01auth=Bearer ${token}\x01\x01`).toString("base64");
    expect(await c.command("a", `AUTHENTICATE OAUTHBEARER ${ir}`)).toMatch(/^a OK \[CAPABILITY /);
    expect(await c.command("b", "NOOP")).toBe("b OK NOOP completed\r\n");
    await revokeSession({ userId: users.revoked.id, sessionId: session.id });
    await new Promise((r) => setTimeout(r, 150));
    c.write("c NOOP\r\n");
    expect(await c.readUntil(() => c.closed)).toBe("* BYE Session ended: signed out of the web\r\n");
  });

  it("closes the connection after too many failed logins", async () => {
    const { users } = await seedUsers(["failing"]);
    const c = await RawImap.connect(limited.securePort, { tls: true, ca: server.tls.cert });
    open.push(c);
    expect(await c.command("a", `LOGIN ${users.failing.email} wrong1`)).toBe("a NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
    c.write(`b LOGIN ${users.failing.email} wrong2\r\n`);
    expect(await c.readUntil((t) => t.includes("BYE"))).toBe(
      "b NO [AUTHENTICATIONFAILED] Authentication failed\r\n* BYE Too many failed logins\r\n",
    );
    await c.readUntil(() => c.closed);
    expect(c.closed).toBe(true);
  });
});

describe("limits", () => {
  it("refuses a large literal before login without reading it", async () => {
    const c = await connect();
    c.write("a LOGIN {5000}\r\n");
    expect(await c.readTagged("a")).toBe("a NO [TOOBIG] Literal larger than 4096 bytes\r\n");
    // The server did not wait for the 5000 bytes: the next command works.
    expect(await c.command("b", "NOOP")).toBe("b OK NOOP completed\r\n");
    // A non-synchronizing one is read and thrown away.
    c.write(`c LOGIN {5000+}\r\n${"x".repeat(5000)}\r\nd NOOP\r\n`);
    expect(await c.readTagged("d")).toBe("c NO [TOOBIG] Literal larger than 4096 bytes\r\nd OK NOOP completed\r\n");
  });

  it("refuses over-long lines, deep nesting, and gives up after repeated BADs", async () => {
    const c = await RawImap.connect(limited.port);
    open.push(c);
    c.write(`a NOOP ${"x".repeat(3000)}\r\n`);
    expect(await c.readTagged("a")).toBe("a BAD [TOOBIG] Line longer than 1000 bytes\r\n");
    expect(await c.command("b", "NOOP")).toBe("b OK NOOP completed\r\n");
    expect(await c.command("c", `FETCH 1 ${"(".repeat(40)}FLAGS${")".repeat(40)}`)).toBe("c BAD Lists nested deeper than 32\r\n");
    expect(await c.command("d", "FOO")).toBe("d BAD Unknown command FOO\r\n");
    c.write("e\r\n");
    const out = await c.readUntil((t) => t.includes("BYE"));
    expect(out).toBe("e BAD Missing command\r\n* BYE Too many invalid commands\r\n");
    await c.readUntil(() => c.closed);
    expect(c.closed).toBe(true);
  });

  it("logs out a silent client (autologout)", async () => {
    const c = await RawImap.connect(limited.port);
    open.push(c);
    const out = await c.readUntil((t) => t.includes("BYE"), 3000);
    expect(out).toBe("* BYE Autologout; idle for too long\r\n");
  });

  it("does not buffer what a client floods: a huge line is skipped, pipelined commands all answered", async () => {
    const c = await RawImap.connect(limited.port);
    open.push(c);
    const chunk = "y".repeat(64 * 1024);
    c.write("a NOOP ");
    // 4 MB without a line end (4,000 times the line limit), sent within the 300 ms pre-login
    // autologout of this server even on a loaded machine.
    for (let i = 0; i < 64; i++) c.write(chunk);
    c.write("\r\n");
    expect(await c.readTagged("a", 20_000)).toBe("a BAD [TOOBIG] Line longer than 1000 bytes\r\n");
    c.write(Array.from({ length: 2000 }, (_, i) => `p${i} NOOP\r\n`).join(""));
    const out = await c.readTagged("p1999", 20_000);
    expect(out.split("\r\n").filter(Boolean)).toHaveLength(2000);
  });

  it("autologout applies after login too, but not while idling", async () => {
    const { users } = await seedUsers(["sleepy"]);
    const busy = await RawImap.connect(limited.port);
    open.push(busy);
    await busy.login(users.sleepy.email, "correct horse", server.tls.cert);
    const idle = await RawImap.connect(limited.port);
    open.push(idle);
    await idle.login(users.sleepy.email, "correct horse", server.tls.cert);
    idle.write("i IDLE\r\n");
    await idle.readUntil((t) => t.includes("+ idling"));
    expect(await busy.readUntil((t) => t.includes("BYE"), 3000)).toBe("* BYE Autologout; idle for too long\r\n");
    // Still connected well past the autologout time, with a keepalive line now and then.
    expect(await idle.readUntil((t) => t.includes("Still here"), 3000)).toBe("* OK Still here\r\n");
    idle.write("DONE\r\n");
    expect(await idle.readTagged("i")).toBe("i OK IDLE terminated\r\n");
  });

  it("refuses an APPEND larger than APPENDLIMIT with NO [TOOBIG] before the data is sent", async () => {
    const { users } = await seedUsers(["appender"]);
    const c = await RawImap.connect(limited.port);
    open.push(c);
    await c.login(users.appender.email, "correct horse", server.tls.cert);
    c.write("a APPEND INBOX {3000}\r\n");
    expect(await c.readTagged("a")).toBe("a NO [TOOBIG] Literal larger than 2000 bytes\r\n");
    const msg = rawMessage({ subject: "small" });
    c.write(`b APPEND INBOX {${msg.length}}\r\n`);
    expect(await c.readUntil((t) => t.endsWith("\r\n"))).toBe("+ Ready for literal data\r\n");
    c.write(Buffer.concat([msg, Buffer.from("\r\n")]));
    expect(await c.readTagged("b")).toMatch(/^b OK \[APPENDUID \d+ 1\] APPEND completed\r\n$/);
  });
});

describe("mailboxes and messages", () => {
  it("answers SELECT, FETCH of sections, SEARCH, SORT, THREAD, STORE, COPY, MOVE in the expected format", async () => {
    const { users } = await seedUsers(["formats"]);
    const userId = users.formats.id;
    await deliverMessage({ raw: rawMessage({ subject: "Hi there" }), targets: [{ userId }] });
    await deliverMessage({ raw: multipart, targets: [{ userId }] });
    const c = await loggedIn(users.formats.email);
    const select = await c.command("s", "SELECT INBOX (CONDSTORE)");
    expect(select).toMatch(
      /^\* FLAGS \(\\Answered \\Flagged \\Deleted \\Seen \\Draft\)\r\n\* 2 EXISTS\r\n\* 0 RECENT\r\n\* OK \[UNSEEN 1\] Message 1 is the first unseen\r\n\* OK \[UIDVALIDITY \d+\] UIDs valid\r\n\* OK \[UIDNEXT 3\] Predicted next UID\r\n\* OK \[PERMANENTFLAGS \(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\\*\)\] Flags permitted\r\n\* OK \[HIGHESTMODSEQ 3\] Highest\r\n\* OK \[MAILBOXID \(F\d+\)\] Ok\r\ns OK \[READ-WRITE\] SELECT completed\r\n$/,
    );
    expect(await c.command("f", "FETCH 2 (BODY.PEEK[1]<0.5> BODY.PEEK[1.MIME] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BINARY.PEEK[1] BINARY.SIZE[1] BODY.PEEK[3])")).toBe(
      "* 2 FETCH (BODY[1]<0> {5}\r\nCaf=C BODY[1.MIME] {88}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
        " BODY[2.HEADER] {38}\r\nFrom: inner@x.test\r\nSubject: inner\r\n\r\n BODY[2.TEXT] {10}\r\ninner body BINARY[1] {13}\r\nCaf\xc3\xa9 au lait" +
        " BINARY.SIZE[1] 13 BODY[3] {0}\r\n)\r\nf OK FETCH completed\r\n",
    );
    expect(await c.command("g", "FETCH 2 (BODYSTRUCTURE)")).toBe(
      '* 2 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 17 1 NIL NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 48 ' +
        '(NIL "inner" ((NIL NIL "inner" "x.test")) ((NIL NIL "inner" "x.test")) ((NIL NIL "inner" "x.test")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL))\r\n' +
        "g OK FETCH completed\r\n",
    );
    expect(await c.command("h", "FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT date)])")).toBe(
      "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT date)] {60}\r\nSubject: Hi there\r\nDate: Tue, 03 Feb 2026 10:00:00 +0000\r\n\r\n)\r\nh OK FETCH completed\r\n",
    );
    // BODY[] without PEEK sets \Seen and says so (RFC 9051 §6.4.5); with CONDSTORE on, MODSEQ too.
    expect(await c.command("t", "FETCH 1 BODY[TEXT]")).toBe(
      "* 1 FETCH (BODY[TEXT] {31}\r\nHello Alice,\r\nthis is a test.\r\n FLAGS (\\Seen))\r\nt OK FETCH completed\r\n",
    );
    expect(await c.command("u", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 3)")).toBe("* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (4))\r\nu OK UID FETCH completed\r\n");
    expect(await c.command("e", "SEARCH RETURN (MIN MAX COUNT ALL) ALL")).toBe('* ESEARCH (TAG "e") MIN 1 MAX 2 ALL 1:2 COUNT 2\r\ne OK SEARCH completed\r\n');
    expect(await c.command("e2", "SEARCH UNSEEN")).toBe("* SEARCH 2\r\ne2 OK SEARCH completed\r\n");
    expect(await c.command("e3", "SEARCH MODSEQ 4")).toBe("* SEARCH 1 (MODSEQ 4)\r\ne3 OK SEARCH completed\r\n");
    expect(await c.command("e4", "UID SEARCH RETURN (SAVE) SUBJECT multi")).toBe("e4 OK UID SEARCH completed\r\n");
    expect(await c.command("e5", "FETCH $ (UID)")).toBe("* 2 FETCH (UID 2)\r\ne5 OK FETCH completed\r\n");
    expect(await c.command("e6", "SEARCH CHARSET ISO-8859-1 ALL")).toBe('e6 NO [BADCHARSET ("UTF-8" "US-ASCII")] Charset ISO-8859-1 is not supported\r\n');
    expect(await c.command("e7", "SEARCH FROZZLE")).toBe("e7 BAD Unknown search key FROZZLE\r\n");
    expect(await c.command("o", "SORT (REVERSE SUBJECT) UTF-8 ALL")).toBe("* SORT 2 1\r\no OK SORT completed\r\n");
    expect(await c.command("o2", "UID SORT (DATE) UTF-8 ALL")).toBe("* SORT 1 2\r\no2 OK UID SORT completed\r\n");
    expect(await c.command("r", "THREAD REFERENCES UTF-8 ALL")).toBe("* THREAD (1)(2)\r\nr OK THREAD completed\r\n");
    expect(await c.command("p", "STORE 1 +FLAGS.SILENT (\\Flagged)")).toBe("* 1 FETCH (MODSEQ (5))\r\np OK STORE completed\r\n");
    expect(await c.command("p2", "STORE 1:2 (UNCHANGEDSINCE 4) +FLAGS ($Work)")).toBe(
      "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n* 2 FETCH (FLAGS ($Work) MODSEQ (6))\r\np2 OK [MODIFIED 1] Conditional STORE failed for some messages\r\n",
    );
    expect(await c.command("c1", "COPY 1 Archive")).toMatch(/^c1 OK \[COPYUID \d+ 1 1\] COPY completed\r\n$/);
    expect(await c.command("c2", "COPY 1 Nowhere")).toBe("c2 NO [TRYCREATE] No such mailbox\r\n");
    expect(await c.command("m", "MOVE 2 Trash")).toMatch(/^\* OK \[COPYUID \d+ 2 1\] Moved\r\n\* 2 EXPUNGE\r\nm OK MOVE completed\r\n$/);
    expect(await c.command("a1", "APPEND INBOX (\\Seen) {5+}\r\nhello")).toMatch(/^\* 2 EXISTS\r\na1 OK \[APPENDUID \d+ 3\] APPEND completed\r\n$/);
    expect(await c.command("a2", "APPEND Nope {5+}\r\nhello")).toBe("a2 NO [TRYCREATE] No such mailbox\r\n");
    // MULTIAPPEND (RFC 3502): several messages in one command, one APPENDUID set.
    expect(await c.command("a3", 'APPEND Drafts (\\Draft) {5+}\r\nfirst (\\Seen) "05-Feb-2026 10:00:00 +0100" {6+}\r\nsecond')).toMatch(
      /^a3 OK \[APPENDUID \d+ 1:2\] APPEND completed\r\n$/,
    );
    expect(await c.command("x1", "STORE 2 +FLAGS (\\Deleted)")).toBe("* 2 FETCH (FLAGS (\\Seen \\Deleted) MODSEQ (9))\r\nx1 OK STORE completed\r\n");
    expect(await c.command("x2", "EXPUNGE")).toBe("* 2 EXPUNGE\r\nx2 OK [HIGHESTMODSEQ 10] EXPUNGE completed\r\n");
    expect(await c.command("q", "GETQUOTAROOT INBOX")).toMatch(/^\* QUOTAROOT "INBOX" ""\r\n\* QUOTA "" \(STORAGE \d+ 10485760\)\r\nq OK GETQUOTAROOT completed\r\n$/);
    expect(await c.command("n", "NAMESPACE")).toBe('* NAMESPACE (("" "/")) NIL NIL\r\nn OK NAMESPACE completed\r\n');
    expect(await c.command("st", "STATUS Trash (MESSAGES UIDNEXT UNSEEN DELETED)")).toBe('* STATUS "Trash" (MESSAGES 1 UIDNEXT 2 UNSEEN 1 DELETED 0)\r\nst OK STATUS completed\r\n');
    expect(await c.command("cl", "CLOSE")).toBe("cl OK CLOSE completed\r\n");
    expect(await c.command("fe", "FETCH 1 FLAGS")).toBe("fe BAD Select a mailbox first\r\n");
    await c.command("s2", "SELECT INBOX");
    // RFC 9051 §9 seq-number: beyond the mailbox is BAD (as Dovecot answers); SEARCH just finds nothing.
    expect(await c.command("b1", "FETCH 5 FLAGS")).toBe("b1 BAD Invalid message sequence number\r\n");
    expect(await c.command("b2", "STORE 1:9 +FLAGS (\\Seen)")).toBe("b2 BAD Invalid message sequence number\r\n");
    expect(await c.command("b3", "SEARCH 5")).toBe("* SEARCH\r\nb3 OK SEARCH completed\r\n");
    expect(await c.command("b4", "UID FETCH 99 FLAGS")).toBe("b4 OK UID FETCH completed\r\n");
  });

  it("lists with LIST-EXTENDED, LIST-STATUS, SPECIAL-USE and non-existent parents", async () => {
    const { users } = await seedUsers(["lister"]);
    const c = await loggedIn(users.lister.email);
    expect(await c.command("c", "CREATE Work/Projects/2026")).toBe("c OK CREATE completed\r\n");
    expect(await c.command("c2", 'CREATE "Caf&AOk-"')).toBe("c2 OK CREATE completed\r\n");
    expect(await c.command("c3", "CREATE INBOX")).toBe("c3 NO [ALREADYEXISTS] INBOX exists already\r\n");
    expect(await c.command("c4", "CREATE Receipts (USE (\\Flagged))")).toBe("c4 NO [USEATTR] Special use \\Flagged is not supported\r\n");
    expect(await c.command("c5", "CREATE Receipts (USE (\\Archive))")).toBe("c5 OK CREATE completed\r\n");
    expect(await c.command("c6", 'LIST "" Receipts')).toBe('* LIST (\\HasNoChildren \\Archive) "/" "Receipts"\r\nc6 OK LIST completed\r\n');
    expect(await c.command("c7", "DELETE Receipts")).toBe("c7 OK DELETE completed\r\n");
    expect(await c.command("d", "DELETE Work/Projects")).toBe("d OK DELETE completed\r\n");
    expect(await c.command("u", "UNSUBSCRIBE Drafts")).toBe("u OK UNSUBSCRIBE completed\r\n");
    expect(await c.command("l", 'LIST "" %')).toBe(
      [
        '* LIST (\\HasNoChildren) "/" "INBOX"',
        '* LIST (\\HasNoChildren \\Archive) "/" "Archive"',
        '* LIST (\\HasNoChildren) "/" "Caf&AOk-"',
        '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
        '* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
        '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
        '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
        '* LIST (\\HasChildren) "/" "Work"',
        "l OK LIST completed",
        "",
      ].join("\r\n"),
    );
    expect(await c.command("l2", 'LIST "" Work/*')).toBe(
      '* LIST (\\Noselect \\HasChildren) "/" "Work/Projects"\r\n* LIST (\\HasNoChildren) "/" "Work/Projects/2026"\r\nl2 OK LIST completed\r\n',
    );
    expect(await c.command("l3", 'LIST (SPECIAL-USE) "" * RETURN (STATUS (MESSAGES))')).toBe(
      [
        '* LIST (\\HasNoChildren \\Archive) "/" "Archive"',
        '* STATUS "Archive" (MESSAGES 0)',
        '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
        '* STATUS "Drafts" (MESSAGES 0)',
        '* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
        '* STATUS "Junk" (MESSAGES 0)',
        '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
        '* STATUS "Sent" (MESSAGES 0)',
        '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
        '* STATUS "Trash" (MESSAGES 0)',
        "l3 OK LIST completed",
        "",
      ].join("\r\n"),
    );
    expect(await c.command("l4", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "Work/%"')).toBe(
      '* LIST (\\NonExistent \\HasChildren) "/" "Work/Projects" ("CHILDINFO" ("SUBSCRIBED"))\r\nl4 OK LIST completed\r\n',
    );
    expect(await c.command("l5", 'LIST "" ""')).toBe('* LIST (\\Noselect) "/" ""\r\nl5 OK LIST completed\r\n');
    expect(await c.command("l6", 'LSUB "" *')).not.toContain('"Drafts"');
    expect(await c.command("r", "RENAME Work Job")).toBe("r OK RENAME completed\r\n");
    expect(await c.command("r2", "RENAME INBOX Old")).toBe("r2 NO [CANNOT] INBOX cannot be renamed\r\n");
    expect(await c.command("d2", "DELETE Nope")).toBe("d2 NO [NONEXISTENT] no such mailbox\r\n");
    expect(await c.command("e", "ENABLE IMAP4rev2")).toBe("* ENABLED IMAP4rev2\r\ne OK ENABLE completed\r\n");
    // IMAP4rev2: mailbox names in UTF-8.
    expect(await c.command("l7", 'LIST "" Caf*')).toBe('* LIST (\\HasNoChildren) "/" "Caf\xc3\xa9"\r\nl7 OK LIST completed\r\n');
    // IMAP4rev2 SELECT (RFC 9051 §6.3.2): a LIST response, no RECENT, no [UNSEEN].
    const selected = await c.command("s", "SELECT Job");
    expect(selected).toContain('* LIST (\\HasChildren) "/" "Job"\r\n');
    expect(selected).not.toContain("RECENT");
    expect(selected).not.toContain("UNSEEN");
    expect(await c.command("f", "FETCH 1:* FLAGS")).toBe("f BAD Invalid message sequence number\r\n");
    expect(await c.command("se", "SEARCH ALL")).toBe('* ESEARCH (TAG "se")\r\nse OK SEARCH completed\r\n');
  });

  it("holds EXPUNGE back during FETCH, STORE and SEARCH, and sends it at NOOP", async () => {
    const { users } = await seedUsers(["expunge"]);
    const userId = users.expunge.id;
    for (const s of ["a", "b", "c"]) await deliverMessage({ raw: rawMessage({ subject: s }), targets: [{ userId }] });
    const a = await loggedIn(users.expunge.email);
    const b = await loggedIn(users.expunge.email);
    await a.command("s", "SELECT INBOX");
    await b.command("s", "SELECT INBOX");
    expect(await b.command("d", "STORE 2 +FLAGS.SILENT (\\Deleted)")).toBe("d OK STORE completed\r\n");
    expect(await b.command("x", "EXPUNGE")).toBe("* 2 EXPUNGE\r\nx OK EXPUNGE completed\r\n");
    await new Promise((r) => setTimeout(r, 200));
    // Message 2 is still numbered for a; its flag change and the expunge wait.
    expect(await a.command("f", "FETCH 1:* (FLAGS)")).toBe("* 1 FETCH (FLAGS ())\r\n* 3 FETCH (FLAGS ())\r\nf OK FETCH completed\r\n");
    expect(await a.command("g", "SEARCH ALL")).toBe("* SEARCH 1 3\r\ng OK SEARCH completed\r\n");
    expect(await a.command("n", "NOOP")).toBe("* 2 EXPUNGE\r\nn OK NOOP completed\r\n");
    expect(await a.command("h", "SEARCH ALL")).toBe("* SEARCH 1 2\r\nh OK SEARCH completed\r\n");
    // Flags set in b show in a, with UID (and MODSEQ once CONDSTORE is on).
    await a.command("e", "ENABLE CONDSTORE");
    await b.command("f2", "STORE 1 +FLAGS.SILENT (\\Answered)");
    await new Promise((r) => setTimeout(r, 200));
    expect(await a.command("n2", "NOOP")).toMatch(/^\* 1 FETCH \(UID 1 FLAGS \(\\Answered\) MODSEQ \(\d+\)\)\r\nn2 OK NOOP completed\r\n$/);
  });

  it("IDLE: + idling, updates while idling, DONE", async () => {
    const { users } = await seedUsers(["idle"]);
    const userId = users.idle.id;
    const c = await loggedIn(users.idle.email);
    await c.command("s", "SELECT INBOX");
    c.write("i IDLE\r\n");
    expect(await c.readUntil((t) => t.endsWith("\r\n"))).toBe("+ idling\r\n");
    await deliverMessage({ raw: rawMessage({ subject: "while idle" }), targets: [{ userId }] });
    expect(await c.readUntil((t) => t.endsWith("\r\n"))).toBe("* 1 EXISTS\r\n");
    c.write("DONE\r\n");
    expect(await c.readTagged("i")).toBe("i OK IDLE terminated\r\n");
    c.write("j IDLE\r\n");
    await c.readUntil((t) => t.endsWith("\r\n"));
    c.write("NOTDONE\r\n");
    expect(await c.readTagged("j")).toBe("j BAD Expected DONE\r\n");
  });

  it("QRESYNC: SELECT replays VANISHED (EARLIER) and changed flags; UID FETCH VANISHED", async () => {
    const { users } = await seedUsers(["qresync"]);
    const userId = users.qresync.id;
    for (const s of ["a", "b", "c", "d"]) await deliverMessage({ raw: rawMessage({ subject: s }), targets: [{ userId }] });
    const c = await loggedIn(users.qresync.email);
    expect(await c.command("s0", "SELECT INBOX (QRESYNC (1 1))")).toBe("s0 BAD Enable QRESYNC first\r\n");
    expect(await c.command("e", "ENABLE QRESYNC")).toBe("* ENABLED QRESYNC\r\ne OK ENABLE completed\r\n");
    const sel = await c.command("s", "SELECT INBOX");
    const uidValidity = /UIDVALIDITY (\d+)/.exec(sel)![1];
    const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(sel)![1]);
    await c.command("f", "UID STORE 1,3 +FLAGS.SILENT (\\Deleted)");
    expect(await c.command("x", "UID EXPUNGE 1")).toMatch(/^\* VANISHED 1\r\nx OK \[HIGHESTMODSEQ \d+\] UID EXPUNGE completed\r\n$/);
    await c.command("f2", "UID STORE 2 +FLAGS.SILENT (\\Seen)");
    await c.command("x2", "EXPUNGE");
    expect(await c.command("v", `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq} VANISHED)`)).toMatch(
      /^\* VANISHED \(EARLIER\) 1,3\r\n\* 1 FETCH \(UID 2 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)\r\nv OK UID FETCH completed\r\n$/,
    );
    const again = await c.command("s2", `SELECT INBOX (QRESYNC (${uidValidity} ${modseq} 1:4))`);
    expect(again).toContain("* OK [CLOSED] Previous mailbox closed\r\n");
    expect(again).toContain("* VANISHED (EARLIER) 1,3\r\n");
    expect(again).toMatch(/\* 1 FETCH \(UID 2 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)\r\ns2 OK \[READ-WRITE\] SELECT completed\r\n$/);
  });
});
