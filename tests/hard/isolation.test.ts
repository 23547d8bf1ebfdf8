import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "../../lib/db/client.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { createMailbox } from "../../lib/mail/mailboxes.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { rawMessage, seedUsers } from "../helpers/fixtures.ts";
import { startMailWorkers, type MailWorkers } from "./helpers/mail-workers.ts";
import { RawClient } from "./helpers/raw-client.ts";
import { sleep } from "./helpers/worker-process.ts";

// Issue 12, item 3 (IMAP and POP3): alice can never read, search, fetch, move, or hear about
// bob's mail. Bob's mailboxes, UIDs, message numbers, EMAILIDs and THREADIDs are all tried from
// alice's sessions. (The web's API routes and SSE: tests/hard/isolation-web.test.ts.)

let db: TestDatabase;
let workers: MailWorkers;
let alice: { id: number; email: string };
let bob: { id: number; email: string };
const PASSWORD = "correct horse";
const BOB_SECRET = "bobsecretword";
let tried = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  ({ alice, bob } = (await seedUsers(["alice", "bob"])).users as { alice: typeof alice; bob: typeof bob });
  await createMailbox({ userId: bob.id, name: "Bob-Private" });
  for (let i = 1; i <= 6; i++) {
    await deliverMessage({
      raw: rawMessage({ to: bob.email, subject: `bob ${i} ${BOB_SECRET}`, body: `private body ${BOB_SECRET} ${i}`, messageId: `<bob.${i}@hard.test>` }),
      targets: [{ userId: bob.id, mailbox: i > 4 ? "Bob-Private" : undefined }],
    });
  }
  for (let i = 1; i <= 2; i++) {
    await deliverMessage({
      raw: rawMessage({ to: alice.email, subject: `alice ${i}`, body: `alice body ${i}`, messageId: `<alice.${i}@hard.test>` }),
      targets: [{ userId: alice.id }],
    });
  }
  workers = await startMailWorkers({ databaseUrl: db.url, which: ["imap", "pop3"] });
}, 120_000);

afterAll(async () => {
  console.log(`isolation (IMAP, POP3): ${tried} cross-user attempts, all refused or empty`);
  await workers?.stop();
  await db?.drop();
});

async function imapAs(user: { email: string }, password = PASSWORD): Promise<RawClient> {
  const c = await RawClient.connect({ port: workers.ports.imaps, tls: true });
  await c.line();
  const r = await c.imap("L", `LOGIN "${user.email}" "${password}"`);
  if (!/L OK/.test(r)) throw new Error(r);
  return c;
}

async function popAs(user: { email: string }): Promise<RawClient> {
  const c = await RawClient.connect({ port: workers.ports.pop3s, tls: true });
  await c.popLine();
  expect(await c.pop(`USER ${user.email}`)).toMatch(/^\+OK/);
  expect(await c.pop(`PASS ${PASSWORD}`)).toMatch(/^\+OK/);
  return c;
}

async function storedCounts(): Promise<Record<string, number>> {
  const r = await getPool().query<{ user_id: number; name: string; n: number }>(
    "SELECT b.user_id, b.name, count(m.id)::int AS n FROM mailboxes b LEFT JOIN messages m ON m.mailbox_id = b.id GROUP BY b.id ORDER BY b.user_id, b.name",
  );
  return Object.fromEntries(r.rows.map((x) => [`${x.user_id}/${x.name}`, x.n]));
}

describe("IMAP", () => {
  let bobIds: { emailIds: string[]; threadIds: string[] };

  beforeAll(async () => {
    const c = await imapAs(bob);
    await c.imap("s", "SELECT INBOX");
    const f = await c.imap("f", "UID FETCH 1:* (EMAILID THREADID)");
    c.close();
    bobIds = {
      emailIds: [...f.matchAll(/EMAILID \(([^)]+)\)/g)].map((m) => m[1]),
      threadIds: [...f.matchAll(/THREADID \(([^)]+)\)/g)].map((m) => m[1]),
    };
    expect(bobIds.emailIds.length).toBe(4);
  });

  it("lists, selects, examines and asks STATUS only of alice's own mailboxes", async () => {
    const c = await imapAs(alice);
    const list = await c.imap("a", 'LIST "" "*"');
    expect(list).not.toMatch(/Bob-Private/);
    for (const pattern of ['"" "%"', '"" "*Bob*"', '"#Users" "*"', '"~bob" "*"', '"" "../*"', `"" "${bob.email}/*"`]) {
      tried++;
      expect(await c.imap("l", `LIST ${pattern}`), pattern).not.toMatch(/Bob-Private|\* LIST .*bob/i);
    }
    const names = [
      "Bob-Private",
      `"${bob.email}/INBOX"`,
      `"${bob.email}"`,
      '"#Users/bob/INBOX"',
      `"user.${bob.email.split("@")[0]}"`,
      `"user/${bob.email}/INBOX"`,
      '"~bob/INBOX"',
      '"../bob/INBOX"',
      '"INBOX/../Bob-Private"',
      `"Other Users/${bob.email}/INBOX"`,
      '"Shared/INBOX"',
    ];
    for (const name of names) {
      for (const cmd of [`SELECT ${name}`, `EXAMINE ${name}`, `STATUS ${name} (MESSAGES UIDNEXT)`]) {
        tried++;
        const r = await c.imap("x", cmd);
        expect(r, cmd).toMatch(/x (NO|BAD)/);
        expect(r, cmd).not.toMatch(/\* (\d+ EXISTS|STATUS)/);
      }
    }
    c.close();
  });

  it("fetches and searches only alice's messages, whatever UIDs, sequence numbers and ids are asked for", async () => {
    const c = await imapAs(alice);
    expect(await c.imap("s", "SELECT INBOX")).toMatch(/\* 2 EXISTS/);
    const fetches = [
      "UID FETCH 1:* (BODY.PEEK[])",
      "UID FETCH 1:100 (BODY.PEEK[] ENVELOPE)",
      "UID FETCH 3,4,5,6 (BODY.PEEK[])",
      "FETCH 1:* (BODY.PEEK[])",
      "FETCH 3:6 (RFC822)",
      "UID FETCH 4294967295 (BODY.PEEK[])",
      "UID FETCH 1:* (BINARY.PEEK[1] BODYSTRUCTURE)",
    ];
    for (const f of fetches) {
      tried++;
      const r = await c.imap("f", f);
      expect(r, f).not.toContain(BOB_SECRET);
    }
    const searches = [
      `SEARCH TEXT "${BOB_SECRET}"`,
      `SEARCH BODY "${BOB_SECRET}"`,
      `SEARCH SUBJECT "bob"`,
      `SEARCH HEADER Message-ID "<bob.1@hard.test>"`,
      `UID SEARCH UID 1:100`,
      ...bobIds.emailIds.map((id) => `SEARCH EMAILID ${id}`),
      ...bobIds.threadIds.map((id) => `SEARCH THREADID ${id}`),
      `SORT (DATE) UTF-8 TEXT "${BOB_SECRET}"`,
      `THREAD REFERENCES UTF-8 TEXT "${BOB_SECRET}"`,
      `SEARCH RETURN (COUNT ALL) ALL`,
    ];
    for (const s of searches) {
      tried++;
      const r = await c.imap("q", s);
      if (process.env.HARD_DEBUG) console.log(s, "→", JSON.stringify(r.slice(0, 300)));
      expect(r, s).toMatch(/q (OK|NO|BAD)/);
      // Nothing of bob's: at most alice's two messages.
      const found = /\* (?:SEARCH|SORT)((?: \d+)*)/.exec(r)?.[1]?.trim().split(" ").filter(Boolean) ?? [];
      expect(found.every((n) => Number(n) <= 2), `${s}: ${r}`).toBe(true);
      if (/EMAILID|THREADID|TEXT|BODY|SUBJECT|Message-ID/.test(s)) expect(found, `${s}: ${r}`).toEqual([]);
      expect(r, s).not.toMatch(/COUNT [3-9]|ALL [1-9]:[3-9]|THREAD \(\d*[3-9]/);
    }
    // Fetch by alice's own EMAILID works (the control); bob's ids find nothing.
    const own = await c.imap("o", "FETCH 1 (EMAILID)");
    expect(own).toMatch(/EMAILID \(/);
    c.close();
  });

  it("cannot copy, move, append or rename into bob's mailboxes, nor store flags on his messages", async () => {
    const before = await storedCounts();
    const c = await imapAs(alice);
    await c.imap("s", "SELECT INBOX");
    const attempts = [
      "UID COPY 1:* Bob-Private",
      "UID MOVE 1:* Bob-Private",
      `UID COPY 1:* "${bob.email}/INBOX"`,
      `UID MOVE 1 "../bob/INBOX"`,
      `APPEND Bob-Private {5+}\r\nhello`,
      `RENAME Bob-Private Mine`,
      `DELETE Bob-Private`,
      `SUBSCRIBE Bob-Private`,
      "UID STORE 3:6 +FLAGS (\\Deleted)",
      "STORE 3:6 +FLAGS (\\Deleted)",
      "UID EXPUNGE 3:6",
      `GETQUOTAROOT Bob-Private`,
      `GETQUOTA "${bob.email}"`,
    ];
    for (const a of attempts) {
      tried++;
      const r = await c.imap("m", a);
      expect(r, a).not.toContain(BOB_SECRET);
    }
    c.close();
    const after = await storedCounts();
    // Bob's mailboxes are exactly as they were (alice's may have gained a mailbox or moved her own mail).
    for (const [key, n] of Object.entries(before)) if (key.startsWith(`${bob.id}/`)) expect(after[key], key).toBe(n);
    expect(Object.keys(after).filter((k) => k.startsWith(`${bob.id}/`))).toEqual(Object.keys(before).filter((k) => k.startsWith(`${bob.id}/`)));
    const flags = await getPool().query<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE user_id = $1 AND '\\Deleted' = ANY(flags)", [bob.id]);
    expect(flags.rows[0].n).toBe(0);
  });

  it("IDLE hears nothing of bob's new mail, and hears alice's", async () => {
    const c = await imapAs(alice);
    await c.imap("s", "SELECT INBOX");
    c.write("i IDLE\r\n");
    expect(await c.line()).toMatch(/^\+ /);
    await deliverMessage({ raw: rawMessage({ to: bob.email, subject: `bob idle ${BOB_SECRET}` }), targets: [{ userId: bob.id }] });
    await deliverMessage({ raw: rawMessage({ to: bob.email, subject: `bob idle 2` }), targets: [{ userId: bob.id, mailbox: "Bob-Private" }] });
    tried += 2;
    expect(await c.drain(1500)).toBe("");
    const own = await deliverMessage({ raw: rawMessage({ to: alice.email, subject: "alice idle" }), targets: [{ userId: alice.id }] });
    const heard = await c.readUntil((d) => (/\* \d+ EXISTS\r\n/.test(d) ? d.length : null), 10_000);
    expect(heard).toMatch(/\* 3 EXISTS/);
    c.write("DONE\r\n");
    await c.imapTagged("i");
    expect(own.stored[0].userId).toBe(alice.id);
    c.close();
  });

  it("refuses a login that names bob as authorization identity", async () => {
    const c = await RawClient.connect({ port: workers.ports.imaps, tls: true });
    await c.line();
    const ir = Buffer.from(`${bob.email}\0${alice.email}\0${PASSWORD}`).toString("base64");
    tried++;
    expect(await c.imap("a", `AUTHENTICATE PLAIN ${ir}`)).toMatch(/a NO/);
    expect(await c.imap("b", "SELECT INBOX")).toMatch(/b (NO|BAD)/);
    c.close();
  });
});

describe("POP3", () => {
  it("lists, retrieves and deletes only alice's messages, whatever numbers are asked for", async () => {
    const before = await storedCounts();
    const c = await popAs(alice);
    const stat = await c.pop("STAT");
    const count = Number(/^\+OK (\d+)/.exec(stat)![1]);
    const inbox = await getPool().query<{ n: number }>("SELECT count(*)::int AS n FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE m.user_id = $1 AND b.name = 'INBOX'", [alice.id]);
    expect(count).toBe(inbox.rows[0].n);
    expect(await c.popMulti("LIST")).not.toMatch(new RegExp(`^${count + 1} `, "m"));
    expect(await c.popMulti("UIDL")).not.toMatch(new RegExp(`^${count + 1} `, "m"));
    expect(await c.pop("QUIT")).toMatch(/^\+OK/);
    c.close();
    // One session per number: the server hangs up after ten errors.
    for (const n of [count + 1, count + 2, 5, 6, 7, 100, 0, -1, 4294967297]) {
      const s = await popAs(alice);
      for (const cmd of [`RETR ${n}`, `TOP ${n} 10`, `LIST ${n}`, `UIDL ${n}`, `DELE ${n}`]) {
        tried++;
        const r = await s.popMulti(cmd);
        expect(r, cmd).toMatch(/^-ERR/);
        expect(r, cmd).not.toContain(BOB_SECRET);
      }
      expect(await s.pop("QUIT")).toMatch(/^\+OK/);
      await s.closedByServer(5000);
    }
    const last = await popAs(alice);
    for (let n = 1; n <= count; n++) {
      tried++;
      expect(await last.popMulti(`RETR ${n}`)).not.toContain(BOB_SECRET);
    }
    expect(await last.pop("RSET")).toMatch(/^\+OK/);
    expect(await last.pop("QUIT")).toMatch(/^\+OK/);
    await last.closedByServer(5000);
    expect(await storedCounts()).toEqual(before);
  });

  it("refuses AUTH PLAIN that names bob as authorization identity, and alice's session does not lock bob out", async () => {
    const c = await RawClient.connect({ port: workers.ports.pop3s, tls: true });
    await c.popLine();
    tried++;
    expect(await c.pop(`AUTH PLAIN ${Buffer.from(`${bob.email}\0${alice.email}\0${PASSWORD}`).toString("base64")}`)).toMatch(/^-ERR/);
    expect(await c.pop("STAT")).toMatch(/^-ERR/);
    c.close();
    const a = await popAs(alice);
    const b = await popAs(bob);
    expect(await b.popMulti("RETR 1")).toContain(BOB_SECRET);
    a.close();
    b.close();
    await sleep(100);
  });
});
