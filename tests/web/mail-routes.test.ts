import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "../../lib/db/client.ts";
import { revokeAllSessions } from "../../lib/auth/sessions.ts";
import type { ConversationPage } from "../../lib/imap-client/conversations.ts";
import type { MailboxSummary } from "../../lib/imap-client/mailboxes.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import type { ConversationView, MessageView } from "../../lib/web/mail/conversation.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { CookieJar, signInOverHttp } from "../helpers/web.ts";
import { startMailStack, type MailStack } from "./mail-stack.ts";
import { attachmentMessage, htmlMessage, PNG_1X1, seedSampleMail, textMessage } from "./sample-mail.ts";

// The mail API over HTTP, on the real Next.js server, which speaks IMAP (STARTTLS, token login) to
// Pigeon's real IMAP server started here: folders, conversation pages and cursors, a conversation
// across folders, a message with images, attachments as downloads, actions, the live stream, and
// the failures (signed out, ended session, cross-site, bad input, mail server down).

let stack: MailStack;
let users: Record<string, { id: number; email: string }>;

beforeAll(async () => {
  stack = await startMailStack({ web: true });
  users = (await seedUsers(["ana", "ben", "cy", "dee", "eve"])).users;
  for (const u of Object.values(users)) await seedSampleMail(u);
}, 360_000);

afterAll(async () => {
  await stack?.stop();
});

const base = () => stack.web!.url;

async function signedIn(email: string): Promise<CookieJar> {
  const jar = new CookieJar();
  const r = await signInOverHttp(stack.web!, jar, { email, password: "correct horse" });
  expect(r.status).toBe(302);
  return jar;
}

async function getJson<T>(jar: CookieJar, path: string): Promise<{ status: number; body: T; res: Response }> {
  const res = await jar.fetch(`${base()}${path}`);
  return { status: res.status, body: (await res.json()) as T, res };
}

async function send<T>(jar: CookieJar, method: string, path: string, json?: unknown, headers: Record<string, string> = { origin: base() }) {
  const res = await jar.fetch(`${base()}${path}`, {
    method,
    headers: { ...headers, ...(json === undefined ? {} : { "content-type": "application/json" }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Reads Server-Sent Events until `until` says stop (or the time is up). */
async function readEvents(res: Response, until: (events: { event: string; data: string }[]) => boolean, timeoutMs = 5000) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: string }[] = [];
  let buffer = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (!until(events)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout; events so far: ${JSON.stringify(events)}`);
      const chunk = await Promise.race([reader.read(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timeout; events so far: ${JSON.stringify(events)}`)), left))]);
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let idx;
      while ((idx = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, idx);
        buffer = buffer.slice(idx + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1] ?? "";
        if (event) events.push({ event, data });
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return events;
}

describe("signed out", () => {
  it("answers 401 on every mail route", async () => {
    for (const path of ["/api/mail/mailboxes", "/api/mail/conversations", "/api/mail/conversations/T1", "/api/mail/message?mailbox=INBOX&uid=1", "/api/mail/attachment?mailbox=INBOX&uid=1&part=2", "/api/mail/events"]) {
      const res = await fetch(`${base()}${path}`);
      expect(res.status, path).toBe(401);
      await res.body?.cancel();
    }
    const post = await fetch(`${base()}/api/mail/actions`, { method: "POST", headers: { origin: base(), "content-type": "application/json" }, body: "{}" });
    expect(post.status).toBe(401);
  });
});

describe("reading", () => {
  it("lists folders with roles and unread counts", async () => {
    const jar = await signedIn(users.ana.email);
    const { status, body } = await getJson<{ mailboxes: MailboxSummary[] }>(jar, "/api/mail/mailboxes");
    expect(status).toBe(200);
    expect(body.mailboxes.map((m) => [m.path, m.role])).toEqual([
      ["INBOX", "inbox"],
      ["Sent", "sent"],
      ["Drafts", "drafts"],
      ["Archive", "archive"],
      ["Junk", "junk"],
      ["Trash", "trash"],
    ]);
    expect(body.mailboxes[0]).toMatchObject({ messages: 6, unseen: 4 });
    expect(body.mailboxes[1]).toMatchObject({ messages: 1, unseen: 0 });
  });

  it("pages conversations by cursor, newest first, one row per thread", async () => {
    const jar = await signedIn(users.ana.email);
    const first = await getJson<ConversationPage>(jar, "/api/mail/conversations?mailbox=INBOX&limit=3");
    expect(first.status).toBe(200);
    expect(first.res.headers.get("cache-control")).toBe("no-store");
    expect(first.res.headers.get("server-timing")).toMatch(/^imap;dur=/);
    expect(first.body.total).toBe(6);
    expect(first.body.rows.map((r) => r.subject)).toEqual(["Patch review", "Analytical Engine diagrams", "This week: pigeons, packets and post"]);
    expect(first.body.rows[1]).toMatchObject({ starred: true, unread: true, hasAttachments: true, snippet: "The diagrams are attached. Ada", senders: [{ name: "Ada Lovelace", address: "ada@engine.example", unread: true }] });
    expect(first.body.nextCursor).toMatch(/^m\.\d+\.\d+\.\d+$/);
    const second = await getJson<ConversationPage>(jar, `/api/mail/conversations?mailbox=INBOX&limit=3&cursor=${first.body.nextCursor}`);
    expect(second.body.rows.map((r) => [r.subject, r.count])).toEqual([
      ["Re: Lunch on Thursday?", 2],
      ["Compiler notes", 1],
    ]);
    expect(second.body.nextCursor).toBeNull();
    const sent = await getJson<ConversationPage>(jar, "/api/mail/conversations?mailbox=Sent");
    expect(sent.body.rows[0]).toMatchObject({ subject: "Re: Lunch on Thursday?", to: [{ name: "Alan Turing", address: "alan@bletchley.example" }] });
    const starred = await getJson<ConversationPage>(jar, "/api/mail/conversations?view=starred");
    expect(starred.body.rows.map((r) => r.subject)).toEqual(["Analytical Engine diagrams"]);
    const search = await getJson<ConversationPage>(jar, "/api/mail/conversations?mailbox=INBOX&q=Enigma");
    expect(search.body.rows.map((r) => r.subject)).toEqual(["Re: Lunch on Thursday?"]);
  });

  it("opens a conversation from every folder but Trash and Junk, with bodies and attachments", async () => {
    const jar = await signedIn(users.ana.email);
    const list = (await getJson<ConversationPage>(jar, "/api/mail/conversations?mailbox=INBOX")).body;
    const lunch = list.rows.find((r) => r.subject === "Re: Lunch on Thursday?")!;
    const { status, body, res } = await getJson<ConversationView>(jar, `/api/mail/conversations/${encodeURIComponent(lunch.id)}?mailbox=INBOX`);
    expect(status).toBe(200);
    expect(res.headers.get("server-timing")).toMatch(/^imap;dur=/);
    expect(body.subject).toBe("Lunch on Thursday?");
    expect(body.messages.map((m) => [m.mailbox, m.from[0].address])).toEqual([
      ["INBOX", "alan@bletchley.example"],
      ["Sent", users.ana.email],
      ["INBOX", "alan@bletchley.example"],
    ]);
    expect(body.messages[2].body).toEqual({ kind: "text", text: "Noon it is. I'll bring the Enigma paper (www.example.com/enigma).\r\n" });
    // GET does not mark anything read.
    expect(body.messages[2].seen).toBe(false);

    const diagrams = list.rows.find((r) => r.subject === "Analytical Engine diagrams")!;
    const conv = (await getJson<ConversationView>(jar, `/api/mail/conversations/${diagrams.id}?mailbox=INBOX`)).body;
    const m = conv.messages[0];
    expect(m.attachments).toEqual([
      { part: "2", filename: "engine.pdf", mimeType: "application/pdf", size: expect.any(Number) },
      { part: "3", filename: "notes.html", mimeType: "text/html", size: expect.any(Number) },
    ]);
    const dl = await jar.fetch(`${base()}/api/mail/attachment?mailbox=INBOX&uid=${m.uid}&part=3`);
    expect(dl.status).toBe(200);
    expect(dl.headers.get("content-type")).toBe("application/octet-stream");
    expect(dl.headers.get("content-disposition")).toBe(`attachment; filename="notes.html"; filename*=UTF-8''notes.html`);
    expect(dl.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await dl.text()).toBe("<script>alert('x')</script><b>notes</b>");
    const pdf = await jar.fetch(`${base()}/api/mail/attachment?mailbox=INBOX&uid=${m.uid}&part=2`);
    expect(Buffer.from(await pdf.arrayBuffer()).toString()).toBe("%PDF-1.4\n% a tiny fake pdf\n");
    // A body part that is not an attachment is not served.
    expect((await jar.fetch(`${base()}/api/mail/attachment?mailbox=INBOX&uid=${m.uid}&part=1`)).status).toBe(404);
    expect((await jar.fetch(`${base()}/api/mail/attachment?mailbox=INBOX&uid=${m.uid}&part=../1`)).status).toBe(400);
  });

  it("serves HTML sanitized with remote images blocked, until asked, or always for a sender", async () => {
    const jar = await signedIn(users.ben.email);
    const list = (await getJson<ConversationPage>(jar, "/api/mail/conversations?mailbox=INBOX")).body;
    const weekly = list.rows.find((r) => r.subject.startsWith("This week"))!;
    const conv = (await getJson<ConversationView>(jar, `/api/mail/conversations/${weekly.id}?mailbox=INBOX`)).body;
    const body = conv.messages[0].body;
    if (body.kind !== "html") throw new Error(`expected html, got ${body.kind}`);
    expect(body.remoteBlocked).toBe(1);
    expect(body.imagesShown).toBe(false);
    expect(body.srcdoc).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'`);
    expect(body.srcdoc).toContain(`src="data:image/png;base64,${PNG_1X1.toString("base64")}"`);
    expect(body.srcdoc).not.toContain("images.example.net");

    const shown = (await getJson<{ message: MessageView }>(jar, `/api/mail/message?mailbox=INBOX&uid=${weekly.latestUid}&images=1`)).body.message.body;
    if (shown.kind !== "html") throw new Error("expected html");
    expect(shown.imagesShown).toBe(true);
    expect(shown.srcdoc).toContain('src="https://images.example.net/banner.png"');
    expect(shown.srcdoc).toContain("img-src data: https: http:");

    // "Always for this sender": remembered in the user's settings, applied to later opens.
    expect((await send(jar, "POST", "/api/mail/image-senders", { address: "News@Weekly.example" })).status).toBe(201);
    const again = (await getJson<ConversationView>(jar, `/api/mail/conversations/${weekly.id}?mailbox=INBOX`)).body.messages[0].body;
    expect(again.kind === "html" && again.imagesShown).toBe(true);
    const settings = await getPool().query("SELECT settings FROM users WHERE id = $1", [users.ben.id]);
    expect(settings.rows[0].settings).toEqual({ mail: { imageSenders: ["news@weekly.example"] } });
    expect((await jar.fetch(`${base()}/api/mail/image-senders?address=news@weekly.example`, { method: "DELETE", headers: { origin: base() } })).status).toBe(204);
    const after = (await getJson<ConversationView>(jar, `/api/mail/conversations/${weekly.id}?mailbox=INBOX`)).body.messages[0].body;
    expect(after.kind === "html" && after.imagesShown).toBe(false);
  });

  it("answers 404 for a conversation that is not there, and 400 for bad input", async () => {
    const jar = await signedIn(users.ben.email);
    expect((await getJson(jar, "/api/mail/conversations/T999999?mailbox=INBOX")).status).toBe(404);
    expect((await getJson(jar, "/api/mail/conversations?mailbox=Nowhere")).status).toBe(404);
    expect((await getJson(jar, "/api/mail/conversations?cursor=garbage")).status).toBe(400);
    expect((await getJson(jar, "/api/mail/conversations?limit=100000")).status).toBe(400);
    expect((await getJson(jar, "/api/mail/message?mailbox=INBOX&uid=abc")).status).toBe(400);
    expect((await send(jar, "POST", "/api/mail/actions", { action: "explode", targets: [{ mailbox: "INBOX", uids: [1] }] })).status).toBe(400);
    expect((await send(jar, "POST", "/api/mail/actions", { action: "move", targets: [{ mailbox: "INBOX", uids: [1] }] })).status).toBe(400);
  });

  it("never shows one user's mail to another", async () => {
    const ana = await signedIn(users.ana.email);
    const ben = await signedIn(users.ben.email);
    const anaRows = (await getJson<ConversationPage>(ana, "/api/mail/conversations?mailbox=INBOX")).body.rows;
    await deliverMessage({ raw: textMessage({ from: "x@remote.example", to: users.ana.email, subject: "Only for Ana", id: "<only-ana@remote.example>", body: "secret" }), targets: [{ userId: users.ana.id }] });
    const benRows = (await getJson<ConversationPage>(ben, "/api/mail/conversations?mailbox=INBOX")).body.rows;
    expect(benRows.some((r) => r.subject === "Only for Ana")).toBe(false);
    // Thread ids are per account: Ana's id names nothing of Ben's, or Ben's own thread.
    for (const r of anaRows) {
      const res = await getJson<ConversationView>(ben, `/api/mail/conversations/${r.id}?mailbox=INBOX`);
      if (res.status === 200) expect(res.body.messages.every((m) => m.to.some((a) => a.address === users.ben.email) || m.from.some((a) => a.address === users.ben.email))).toBe(true);
      else expect(res.status).toBe(404);
    }
  });
});

describe("acting", () => {
  it("marks read, stars, archives, moves, reports spam, trashes and deletes", async () => {
    const jar = await signedIn(users.cy.email);
    const rows = async (mailbox: string) => (await getJson<ConversationPage>(jar, `/api/mail/conversations?mailbox=${mailbox}`)).body.rows;
    const inbox = await rows("INBOX");
    const patch = inbox.find((r) => r.subject === "Patch review")!;
    const targets = (r: (typeof inbox)[number]) => [{ mailbox: r.mailbox, uids: r.refs.map((x) => x.uid) }];

    expect((await send(jar, "POST", "/api/mail/actions", { action: "read", targets: targets(patch) })).status).toBe(200);
    expect((await rows("INBOX")).find((r) => r.id === patch.id)).toMatchObject({ unread: false });
    await send(jar, "POST", "/api/mail/actions", { action: "star", targets: targets(patch) });
    expect((await rows("INBOX")).find((r) => r.id === patch.id)).toMatchObject({ starred: true });

    const archived = await send<{ changed: { mailbox: string; destination: string }[] }>(jar, "POST", "/api/mail/actions", { action: "archive", targets: targets(patch) });
    expect(archived.body.changed).toEqual([{ mailbox: "INBOX", uids: [patch.latestUid], destination: "Archive" }]);
    expect((await rows("INBOX")).some((r) => r.id === patch.id)).toBe(false);
    const inArchive = (await rows("Archive")).find((r) => r.id === patch.id)!;
    expect(inArchive).toMatchObject({ starred: true, unread: false });

    // A folder of one's own; move there; rename; delete.
    expect((await send(jar, "POST", "/api/mail/mailboxes", { name: "Kernel" })).status).toBe(201);
    expect((await send(jar, "POST", "/api/mail/mailboxes", { name: "Kernel" })).status).toBe(409);
    await send(jar, "POST", "/api/mail/actions", { action: "move", destination: "Kernel", targets: targets(inArchive) });
    const inKernel = (await rows("Kernel")).find((r) => r.id === patch.id)!;
    expect(inKernel).toBeTruthy();
    expect((await send(jar, "PATCH", "/api/mail/mailboxes", { path: "Kernel", newName: "Linux" })).body).toMatchObject({ mailbox: { path: "Linux" } });
    expect((await send(jar, "PATCH", "/api/mail/mailboxes", { path: "INBOX", newName: "Other" })).status).toBe(403);

    // Spam and back.
    await send(jar, "POST", "/api/mail/actions", { action: "spam", targets: [{ mailbox: "Linux", uids: inKernel.refs.map((r) => r.uid) }] });
    const junk = (await rows("Junk")).find((r) => r.id === patch.id)!;
    await send(jar, "POST", "/api/mail/actions", { action: "notspam", targets: targets(junk) });
    const back = (await rows("INBOX")).find((r) => r.id === patch.id)!;
    expect(back).toBeTruthy();

    // Trash, then delete for good.
    await send(jar, "POST", "/api/mail/actions", { action: "trash", targets: targets(back) });
    const trashed = (await rows("Trash")).find((r) => r.id === patch.id)!;
    await send(jar, "POST", "/api/mail/actions", { action: "trash", targets: targets(trashed) });
    expect((await rows("Trash")).some((r) => r.id === patch.id)).toBe(false);
    expect((await send(jar, "DELETE", "/api/mail/mailboxes?path=Linux")).status).toBe(204);
    const folders = (await getJson<{ mailboxes: MailboxSummary[] }>(jar, "/api/mail/mailboxes")).body.mailboxes;
    expect(folders.some((m) => m.path === "Linux")).toBe(false);
  });

  it("refuses state changes from another site", async () => {
    const jar = await signedIn(users.cy.email);
    const r = await send(jar, "POST", "/api/mail/actions", { action: "read", targets: [{ mailbox: "INBOX", uids: [1] }] }, { origin: "https://evil.example" });
    expect(r.status).toBe(403);
    const r2 = await send(jar, "POST", "/api/mail/mailboxes", { name: "x" }, {});
    expect(r2.status).toBe(403);
  });
});

describe("live", () => {
  it("streams IDLE's changes as Server-Sent Events: a delivery within 2 s, and flag changes", async () => {
    const jar = await signedIn(users.dee.email);
    const res = await jar.fetch(`${base()}/api/mail/events?mailbox=INBOX`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toContain("no-transform");
    let delivered = 0;
    let arrived = 0;
    let starred = false;
    const events = await readEvents(res, (ev) => {
      if (ev.some((e) => e.event === "ready") && !delivered) {
        delivered = Date.now();
        void deliverMessage({ raw: textMessage({ from: "x@remote.example", to: users.dee.email, subject: "Live one", id: "<live-1@remote.example>", body: "now" }), targets: [{ userId: users.dee.id }] });
      }
      if (!arrived && ev.some((e) => e.event === "change" && e.data.includes('"exists"'))) arrived = Date.now();
      if (arrived && !starred) {
        starred = true;
        void send(jar, "POST", "/api/mail/actions", { action: "star", targets: [{ mailbox: "INBOX", uids: [1] }] });
      }
      return ev.some((e) => e.event === "change" && e.data.includes('"flags"'));
    });
    expect(arrived - delivered).toBeLessThan(2000);
    const changes = events.filter((e) => e.event === "change").map((e) => JSON.parse(e.data));
    expect(changes[0]).toMatchObject({ kind: "exists", mailbox: "INBOX", count: 7 });
    expect(changes.find((c) => c.kind === "flags")).toMatchObject({ kind: "flags", mailbox: "INBOX", flagged: true });
  });

  it("closes its IMAP connection when the browser goes away", async () => {
    // Established TCP connections to the IMAP server's port, from /proc (Linux).
    const connections = () => {
      const port = stack.imapPort.toString(16).toUpperCase().padStart(4, "0");
      return ["/proc/net/tcp", "/proc/net/tcp6"]
        .flatMap((f) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8").split("\n").slice(1) : []))
        .filter((l) => l.trim().split(/\s+/)[1]?.endsWith(`:${port}`) && l.trim().split(/\s+/)[3] === "01").length;
    };
    const jar = await signedIn(users.dee.email);
    const before = connections();
    const aborter = new AbortController();
    const res = await jar.fetch(`${base()}/api/mail/events?mailbox=INBOX`, { signal: aborter.signal });
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("event: ready")) text += new TextDecoder().decode((await reader.read()).value);
    expect(connections()).toBe(before + 1);
    aborter.abort();
    await expect.poll(connections, { timeout: 5000 }).toBe(before);
  });

  it("tells a stream whose session has ended to sign in again, and refuses new streams", async () => {
    const jar = await signedIn(users.eve.email);
    await getJson(jar, "/api/mail/mailboxes");
    await revokeAllSessions({ userId: users.eve.id });
    expect((await jar.fetch(`${base()}/api/mail/events?mailbox=INBOX`)).status).toBe(401);
    expect((await getJson(jar, "/api/mail/mailboxes")).status).toBe(401);
  });
});

describe("the mail server down", () => {
  it("answers 503 with a message while IMAP is unreachable, and works again after", async () => {
    const jar = await signedIn(users.dee.email);
    expect((await getJson(jar, "/api/mail/mailboxes")).status).toBe(200);
    await stack.stopImap();
    try {
      const down = await getJson<{ error: { code: string; message: string } }>(jar, "/api/mail/conversations?mailbox=INBOX");
      expect(down.status).toBe(503);
      expect(down.body.error).toEqual({ code: "TEMPORARY", message: "The mail server cannot be reached right now; try again in a moment." });
      // The page itself still renders, and says so.
      const page = await jar.fetch(`${base()}/mail`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("cannot be reached");
    } finally {
      await stack.startImap();
    }
    expect((await getJson(jar, "/api/mail/conversations?mailbox=INBOX")).status).toBe(200);
  });
});

describe("more mail", () => {
  it("reads a message with a big attachment and an inline image without holding it all in the list", async () => {
    const jar = await signedIn(users.dee.email);
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    await deliverMessage({
      raw: attachmentMessage({ from: "Big <big@remote.example>", to: users.dee.email, subject: "Big file", id: "<big@remote.example>", body: "see attached", files: [{ name: "blob.bin", type: "application/octet-stream", data: big }] }),
      targets: [{ userId: users.dee.id }],
    });
    await deliverMessage({
      raw: htmlMessage({ from: "Pic <pic@remote.example>", to: users.dee.email, subject: "Picture", id: "<pic@remote.example>", html: '<p>look <img src="cid:pic@x" alt="pic"></p>', images: [{ cid: "pic@x", data: PNG_1X1 }] }),
      targets: [{ userId: users.dee.id }],
    });
    const rows = (await getJson<ConversationPage>(jar, "/api/mail/conversations?mailbox=INBOX&limit=5")).body.rows;
    const bigRow = rows.find((r) => r.subject === "Big file")!;
    expect(bigRow.hasAttachments).toBe(true);
    const conv = (await getJson<ConversationView>(jar, `/api/mail/conversations/${bigRow.id}?mailbox=INBOX`)).body;
    expect(conv.messages[0].attachments[0]).toMatchObject({ filename: "blob.bin", size: big.length });
    const dl = await jar.fetch(`${base()}/api/mail/attachment?mailbox=INBOX&uid=${bigRow.latestUid}&part=2`);
    expect(Buffer.from(await dl.arrayBuffer()).equals(big)).toBe(true);
    const pic = rows.find((r) => r.subject === "Picture")!;
    const picBody = (await getJson<ConversationView>(jar, `/api/mail/conversations/${pic.id}?mailbox=INBOX`)).body.messages[0];
    expect(picBody.attachments).toEqual([]);
    expect(picBody.body.kind === "html" && picBody.body.srcdoc).toContain(`src="data:image/png;base64,${PNG_1X1.toString("base64")}"`);
  });
});
