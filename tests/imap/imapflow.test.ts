import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintImapToken } from "../../lib/auth/imap-token.ts";
import { createSession, revokeSession } from "../../lib/auth/sessions.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { rawMessage, seedUsers } from "../helpers/fixtures.ts";
import { imapClient, startTestImap, type TestImap } from "./helpers.ts";

// Behaviour through imapflow, the client the web uses: STARTTLS trusting Pigeon's own
// certificate, token login, folders, fetch of everything the webmail shows, flags, move, append,
// search, IDLE and updates between sessions.

let db: TestDatabase;
let server: TestImap;
const clients: ImapFlow[] = [];

beforeAll(async () => {
  process.env.AUTH_SECRET ??= "imap-test-secret-0123456789abcdef0123";
  db = await createTestDatabase();
  server = await startTestImap();
});
afterAll(async () => {
  for (const c of clients) await c.logout().catch(() => c.close());
  await server?.close();
  await db?.drop();
});

async function connected(email: string, extra: Parameters<typeof imapClient>[2] = {}): Promise<ImapFlow> {
  const c = imapClient(server, { user: email, pass: "correct horse" }, extra);
  clients.push(c);
  await c.connect();
  return c;
}

function waitFor<T>(emitter: ImapFlow, event: string, match: (v: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    const on = (v: T) => {
      if (!match(v)) return;
      clearTimeout(t);
      emitter.off(event, on);
      resolve(v);
    };
    emitter.on(event, on);
  });
}

const multipart = (subject: string) =>
  Buffer.from(
    [
      "From: Bob Example <bob@remote.example>",
      "To: alice@example.test",
      `Subject: ${subject}`,
      "Date: Wed, 04 Feb 2026 09:30:00 +0100",
      "Message-ID: <multi-" + subject.replace(/\W/g, "") + "@remote.example>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="b1"',
      "",
      "--b1",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Caf=C3=A9 au lait, s'il vous pla=C3=AEt.",
      "--b1",
      'Content-Type: application/pdf; name="doc.pdf"',
      'Content-Disposition: attachment; filename="doc.pdf"',
      "Content-Transfer-Encoding: base64",
      "",
      Buffer.from("%PDF-1.4 fake pdf\n").toString("base64"),
      "--b1--",
      "",
    ].join("\r\n"),
  );

describe("imapflow", () => {
  it("connects with STARTTLS trusting the server's certificate, and with implicit TLS", async () => {
    const { users } = await seedUsers(["tls"]);
    const c = await connected(users.tls.email);
    expect(c.secureConnection).toBe(true);
    expect(c.capabilities.has("IDLE")).toBe(true);
    expect(c.capabilities.has("OBJECTID")).toBe(true);
    expect(c.enabled.has("CONDSTORE")).toBe(true);
    const implicit = imapClient(server, { user: users.tls.email, pass: "correct horse" }, { port: server.securePort, secure: true, doSTARTTLS: undefined });
    clients.push(implicit);
    await implicit.connect();
    expect(implicit.usable).toBe(true);
  });

  it("refuses a wrong password", async () => {
    const { users } = await seedUsers(["wrong"]);
    const c = imapClient(server, { user: users.wrong.email, pass: "not the password" });
    await expect(c.connect()).rejects.toMatchObject({ authenticationFailed: true });
  });

  it("lists folders with special-use roles, and manages them", async () => {
    const { users } = await seedUsers(["folders"]);
    const c = await connected(users.folders.email);
    const list = await c.list();
    const byPath = Object.fromEntries(list.map((m) => [m.path, m.specialUse ?? null]));
    expect(byPath).toMatchObject({ INBOX: "\\Inbox", Sent: "\\Sent", Trash: "\\Trash", Junk: "\\Junk", Drafts: "\\Drafts", Archive: "\\Archive" });
    await c.mailboxCreate(["Projects", "Ünïcødé"]);
    expect((await c.list()).map((m) => m.path)).toContain("Projects/Ünïcødé");
    await c.mailboxRename("Projects", "Work");
    const paths = (await c.list()).map((m) => m.path);
    expect(paths).toContain("Work/Ünïcødé");
    expect(paths).not.toContain("Projects");
    await c.mailboxDelete("Work/Ünïcødé");
    expect((await c.list()).map((m) => m.path)).not.toContain("Work/Ünïcødé");
    const status = await c.status("INBOX", { messages: true, uidNext: true, unseen: true, highestModseq: true });
    expect(status).toMatchObject({ messages: 0, uidNext: 1, unseen: 0 });
    const quota = await c.getQuota("INBOX");
    expect(quota && quota.storage).toMatchObject({ usage: 0 });
  });

  it("fetches what the webmail shows: envelope, structure, source, threadId, flags", async () => {
    const { users } = await seedUsers(["reader"]);
    const userId = users.reader.id;
    const first = await deliverMessage({ raw: multipart("Quarterly report"), targets: [{ userId }] });
    const reply = rawMessage({
      subject: "Re: Quarterly report",
      messageId: "<reply-1@remote.example>",
      headers: ["In-Reply-To: <multi-Quarterlyreport@remote.example>", "References: <multi-Quarterlyreport@remote.example>"],
    });
    await deliverMessage({ raw: reply, targets: [{ userId }] });
    const c = await connected(users.reader.email);
    const box = await c.mailboxOpen("INBOX");
    expect(box.exists).toBe(2);
    const messages = await c.fetchAll("1:*", {
      uid: true,
      flags: true,
      envelope: true,
      bodyStructure: true,
      internalDate: true,
      size: true,
      threadId: true,
      emailId: true,
      source: true,
    });
    expect(messages).toHaveLength(2);
    const [m1, m2] = messages;
    expect(m1.envelope?.subject).toBe("Quarterly report");
    expect(m1.envelope?.from?.[0]).toMatchObject({ name: "Bob Example", address: "bob@remote.example" });
    expect(m1.bodyStructure?.type).toBe("multipart/mixed");
    expect(m1.bodyStructure?.childNodes?.[1]).toMatchObject({ type: "application/pdf", disposition: "attachment" });
    expect(m1.source?.toString()).toBe(multipart("Quarterly report").toString());
    expect(m1.size).toBe(first.size);
    expect(m1.threadId).toBeTruthy();
    expect(m2.threadId).toBe(m1.threadId);
    expect(m1.emailId).not.toBe(m2.emailId);
    expect(m1.flags?.size).toBe(0);
    // The web gathers a conversation with SEARCH THREADID (RFC 8474).
    expect(await c.search({ threadId: m1.threadId! }, { uid: true })).toEqual([m1.uid, m2.uid]);
    expect(await c.search({ emailId: m2.emailId! }, { uid: true })).toEqual([m2.uid]);
    // A part, decoded as the webmail downloads attachments.
    const part = await c.download("1", "2", { uid: false });
    const chunks: Buffer[] = [];
    for await (const chunk of part.content!) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("%PDF-1.4 fake pdf\n");
    const text = await c.fetchOne("1", { bodyParts: ["1"] });
    expect(text && text.bodyParts?.get("1")?.toString()).toContain("Caf=C3=A9");
  });

  it("sets flags, moves, copies, appends, searches and expunges", async () => {
    const { users } = await seedUsers(["worker"]);
    const userId = users.worker.id;
    for (const s of ["alpha report", "beta memo", "gamma report"]) {
      await deliverMessage({ raw: rawMessage({ subject: s, body: `Body of ${s} with the word zebra` }), targets: [{ userId }] });
    }
    const c = await connected(users.worker.email);
    await c.mailboxOpen("INBOX");
    await c.messageFlagsAdd("1:2", ["\\Seen", "$Important"]);
    const msgs = await c.fetchAll("1:*", { flags: true });
    expect([...msgs[0].flags!].sort()).toEqual(["$Important", "\\Seen"]);
    await c.messageFlagsRemove("1", ["$Important"]);
    const one = await c.fetchOne("1", { flags: true });
    expect(one && [...one.flags!]).toEqual(["\\Seen"]);

    expect(await c.search({ seen: false })).toEqual([3]);
    expect(await c.search({ subject: "report" })).toEqual([1, 3]);
    expect(await c.search({ body: "zebra" })).toEqual([1, 2, 3]);
    expect(await c.search({ or: [{ subject: "beta" }, { subject: "gamma" }] }, { uid: true })).toEqual([2, 3]);

    const moved = await c.messageMove("2", "Archive");
    expect(moved && moved.uidMap?.get(2)).toBe(1);
    expect(c.mailbox && c.mailbox.exists).toBe(2);
    const copied = await c.messageCopy("1", "Archive", { uid: true });
    expect(copied && copied.uidMap?.get(1)).toBe(2);

    const appended = await c.append("Drafts", rawMessage({ subject: "draft" }), ["\\Draft", "\\Seen"], new Date("2026-01-02T03:04:05Z"));
    expect(appended).toMatchObject({ destination: "Drafts", uid: 1 });
    const drafts = await c.status("Drafts", { messages: true });
    expect(drafts).toMatchObject({ messages: 1 });

    await c.messageDelete("1");
    expect(c.mailbox && c.mailbox.exists).toBe(1);
    const archive = await c.mailboxOpen("Archive");
    expect(archive.exists).toBe(2);
    const all = await c.fetchAll("1:*", { envelope: true, flags: true });
    expect(all.map((m) => m.envelope?.subject)).toEqual(["beta memo", "alpha report"]);
  });

  it("IDLE shows a delivered message at once, and flags set in another session", async () => {
    const { users } = await seedUsers(["idler"]);
    const userId = users.idler.id;
    await deliverMessage({ raw: rawMessage({ subject: "first" }), targets: [{ userId }] });
    const watcher = await connected(users.idler.email);
    await watcher.mailboxOpen("INBOX");
    const exists = waitFor<{ count: number }>(watcher, "exists", (e) => e.count === 2);
    const idling = watcher.idle();
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await deliverMessage({ raw: rawMessage({ subject: "second" }), targets: [{ userId }] });
    await exists;
    expect(Date.now() - started).toBeLessThan(2000);

    const other = await connected(users.idler.email);
    await other.mailboxOpen("INBOX");
    const flagsSeen = waitFor<{ uid: number; flags: Set<string> }>(watcher, "flags", (f) => f.flags.has("\\Flagged"));
    await other.messageFlagsAdd("1", ["\\Flagged"]);
    const update = await flagsSeen;
    expect(update.uid).toBe(1);

    const expunged = waitFor<{ seq?: number; uid?: number }>(watcher, "expunge");
    await other.messageDelete("2");
    await expunged;
    void idling;
    await watcher.noop();
    expect(watcher.mailbox && watcher.mailbox.exists).toBe(1);
  });

  it("logs in with the web's session token (OAUTHBEARER and XOAUTH2), and not once it is revoked", async () => {
    const { users } = await seedUsers(["web"]);
    const session = await createSession({ userId: users.web.id });
    const token = mintImapToken({ sessionId: session.id, userId: users.web.id });
    const c = imapClient(server, { user: users.web.email, accessToken: token });
    clients.push(c);
    await c.connect();
    expect(c.authenticated).toBeTruthy();
    await c.mailboxOpen("INBOX");

    const x = imapClient(server, { user: users.web.email, accessToken: token });
    clients.push(x);
    // imapflow prefers OAUTHBEARER; XOAUTH2 is checked over the raw socket in raw.test.ts.
    await x.connect();
    expect(x.authenticated).toBeTruthy();

    await revokeSession({ userId: users.web.id, sessionId: session.id });
    const revoked = imapClient(server, { user: users.web.email, accessToken: token });
    await expect(revoked.connect()).rejects.toMatchObject({ authenticationFailed: true });
    const wrongUser = imapClient(server, { user: "someone@else.test", accessToken: mintImapToken({ sessionId: session.id, userId: users.web.id }) });
    await expect(wrongUser.connect()).rejects.toBeTruthy();
  });

  it("keeps QRESYNC state: VANISHED and changed flags on re-select", async () => {
    const { users } = await seedUsers(["qr"]);
    const userId = users.qr.id;
    for (const s of ["one", "two", "three"]) await deliverMessage({ raw: rawMessage({ subject: s }), targets: [{ userId }] });
    const c = await connected(users.qr.email, { qresync: true });
    const box = await c.mailboxOpen("INBOX");
    const modseq = box.highestModseq!;
    const uidValidity = box.uidValidity;
    await c.messageFlagsAdd("1", ["\\Seen"], { uid: true });
    await c.messageDelete("2", { uid: true });
    await c.mailboxClose();
    const vanished = waitFor<{ uid?: number; vanished?: boolean }>(c, "expunge", (e) => e.uid === 2);
    const flags = waitFor<{ uid: number }>(c, "flags", (f) => f.uid === 1);
    await c.mailboxOpen("INBOX", { changedSince: modseq, uidValidity } as never);
    await vanished;
    await flags;
  });
});
