import PostalMime from "postal-mime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession } from "../../lib/auth/sessions.ts";
import { parseConfig } from "../../lib/config.ts";
import { withImap, type ImapIdentity } from "../../lib/imap-client/pool.ts";
import type { RunningServer } from "../../lib/server-handle.ts";
import type { DraftView } from "../../lib/web/mail/compose/drafts.ts";
import type { ScheduledView, SendResult } from "../../lib/web/mail/compose/send.ts";
import { updateMailSettings } from "../../lib/web/mail/compose/settings.ts";
import { startRelay } from "../../workers/relay.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/wait.ts";
import { CookieJar, signInOverHttp } from "../helpers/web.ts";
import { startMailStack, type MailStack } from "./mail-stack.ts";

// The compose API over HTTP on the real Next.js server (which speaks IMAP to Pigeon's real IMAP
// server and enqueues into the real outbound queue; a relay runs in this process): context,
// drafts with an attachment upload and download, send, Undo, send later, reply, contacts, and
// the failures (signed out, cross-site, bad input, too large).

process.env.MAX_MESSAGE_SIZE = String(2 * 1024 * 1024);

let stack: MailStack;
let relay: RunningServer;
let users: Record<string, { id: number; email: string }>;
let annJar: CookieJar;
let bo: ImapIdentity;

const base = () => stack.web!.url;

async function call<T>(jar: CookieJar, method: string, path: string, json?: unknown, headers: Record<string, string> = { origin: base() }) {
  const res = await jar.fetch(`${base()}${path}`, {
    method,
    headers: { ...headers, ...(json === undefined ? {} : { "content-type": "application/json" }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

beforeAll(async () => {
  stack = await startMailStack({ web: true });
  relay = await startRelay(parseConfig({ DATABASE_URL: stack.db.url, MAIL_HOSTNAME: "mail.pigeon.test" }), () => undefined);
  users = (await seedUsers(["ann", "bo"])).users;
  await updateMailSettings({ userId: users.ann.id, update: { displayName: "Ann Example", undoSeconds: 0, signature: "Ann\nPigeon" } });
  annJar = new CookieJar();
  expect((await signInOverHttp(stack.web!, annJar, { email: users.ann.email, password: "correct horse" })).status).toBe(302);
  const s = await createSession({ userId: users.bo.id });
  bo = { sessionId: s.id, userId: users.bo.id, email: users.bo.email };
}, 360_000);

afterAll(async () => {
  await relay?.close();
  await stack?.stop();
});

async function boInbox(subject: string): Promise<Buffer[]> {
  return withImap(bo, async (c) => {
    const lock = await c.getMailboxLock("INBOX");
    try {
      await c.noop();
      const r = await c.search({ subject }, { uid: true });
      const uids = Array.isArray(r) ? r : [];
      if (!uids.length) return [];
      return (await c.fetchAll(uids.join(","), { uid: true, source: true }, { uid: true })).map((m) => m.source!);
    } finally {
      lock.release();
    }
  });
}

describe("compose API", () => {
  it("answers with the compose context", async () => {
    const r = await call<{ from: { addresses: string[]; displayName: string }; signature: string; undoSeconds: number; maxMessageSize: number }>(annJar, "GET", "/api/mail/send");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ from: { addresses: [users.ann.email], displayName: "Ann Example" }, signature: "Ann\nPigeon", undoSeconds: 0, maxMessageSize: 2 * 1024 * 1024 });
  });

  it("saves a draft, uploads an attachment into it, downloads it, and sends it byte for byte", async () => {
    const saved = await call<{ draft: DraftView }>(annJar, "PUT", "/api/mail/drafts", { to: [{ name: "Bo", address: users.bo.email }], subject: "With a file", html: "<p>see attached</p>" });
    expect(saved.status).toBe(200);
    expect(saved.body.draft.uid).toBeGreaterThan(0);

    const bytes = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31 + 7) % 256));
    const form = new FormData();
    form.set("draft", JSON.stringify({ ...saved.body.draft, attachments: [] }));
    form.set("file", new Blob([bytes], { type: "application/x-test" }), "numbers.bin");
    const up = await annJar.fetch(`${base()}/api/mail/drafts/attachments`, { method: "POST", headers: { origin: base() }, body: form });
    expect(up.status).toBe(201);
    const { draft } = (await up.json()) as { draft: DraftView };
    expect(draft.attachments).toEqual([expect.objectContaining({ filename: "numbers.bin", contentType: "application/x-test", size: 100_000 })]);
    expect(draft.messageId).toBe(saved.body.draft.messageId);

    const dl = await annJar.fetch(`${base()}/api/mail/drafts/attachments?uid=${draft.uid}&id=${draft.attachments[0].id}`);
    expect(dl.status).toBe(200);
    expect(dl.headers.get("content-disposition")).toContain("numbers.bin");
    expect(Buffer.from(await dl.arrayBuffer()).equals(bytes)).toBe(true);

    const reopened = await call<{ draft: DraftView }>(annJar, "GET", `/api/mail/drafts?messageId=${encodeURIComponent(draft.messageId)}`);
    expect(reopened.body.draft).toMatchObject({ uid: draft.uid, subject: "With a file", attachments: draft.attachments });

    const sent = await call<SendResult>(annJar, "POST", "/api/mail/send", { ...draft, attachments: draft.attachments.map((a) => a.id) });
    expect(sent.status).toBe(201);
    const [raw] = await waitFor("the mail in Bo's INBOX", async () => {
      const r = await boInbox("With a file");
      return r.length ? r : null;
    });
    const p = await PostalMime.parse(raw);
    expect(p.from).toMatchObject({ name: "Ann Example", address: users.ann.email });
    expect(Buffer.from(p.attachments[0].content as ArrayBuffer).equals(bytes)).toBe(true);
    // The draft is gone.
    expect((await call(annJar, "GET", `/api/mail/drafts?uid=${draft.uid}`)).status).toBe(404);
  });

  it("holds a send for Undo, lists it, and Undo returns the draft", async () => {
    await updateMailSettings({ userId: users.ann.id, update: { undoSeconds: 20 } });
    try {
      const sent = await call<SendResult>(annJar, "POST", "/api/mail/send", { to: [{ name: "", address: users.bo.email }], subject: "Take it back", html: "<p>no</p>" });
      expect(sent.status).toBe(201);
      expect(sent.body.undoUntil).not.toBeNull();
      const list = await call<{ scheduled: ScheduledView[] }>(annJar, "GET", "/api/mail/scheduled");
      expect(list.body.scheduled).toEqual([expect.objectContaining({ id: sent.body.id, subject: "Take it back", undo: true })]);
      const undone = await call<{ draft: DraftView }>(annJar, "DELETE", `/api/mail/scheduled/${sent.body.id}`);
      expect(undone.status).toBe(200);
      expect(undone.body.draft).toMatchObject({ subject: "Take it back", to: [{ address: users.bo.email }] });
      expect((await call(annJar, "DELETE", `/api/mail/scheduled/${sent.body.id}`)).status).toBe(404);
    } finally {
      await updateMailSettings({ userId: users.ann.id, update: { undoSeconds: 0 } });
    }
  });

  it("schedules a send for later and lists it as scheduled", async () => {
    const at = new Date(Date.now() + 3600_000).toISOString();
    const sent = await call<SendResult>(annJar, "POST", "/api/mail/send", { to: [{ name: "", address: users.bo.email }], subject: "Next hour", html: "<p>later</p>", sendAt: at });
    expect(sent.body).toMatchObject({ scheduled: true, sendAt: at });
    const list = await call<{ scheduled: ScheduledView[] }>(annJar, "GET", "/api/mail/scheduled");
    expect(list.body.scheduled).toEqual([expect.objectContaining({ id: sent.body.id, undo: false, sendAt: at })]);
    expect((await call(annJar, "DELETE", `/api/mail/scheduled/${sent.body.id}`)).status).toBe(200);
  });

  it("starts a reply and suggests contacts", async () => {
    const bos = await withImap(bo, async (c) => {
      const lock = await c.getMailboxLock("INBOX");
      try {
        await c.noop();
        const r = await c.search({ subject: "With a file" }, { uid: true });
        return Array.isArray(r) ? r : [];
      } finally {
        lock.release();
      }
    });
    expect(bos).toHaveLength(1);
    const boJar = new CookieJar();
    await signInOverHttp(stack.web!, boJar, { email: users.bo.email, password: "correct horse" });
    const reply = await call<{ draft: DraftView }>(boJar, "POST", "/api/mail/drafts/reply", { mailbox: "INBOX", uid: bos[0], mode: "reply" });
    expect(reply.status).toBe(200);
    expect(reply.body.draft).toMatchObject({ subject: "Re: With a file", to: [{ name: "Ann Example", address: users.ann.email }] });
    expect(reply.body.draft.inReplyTo).toMatch(/^<.+>$/);
    const contacts = await call<{ contacts: { name: string; address: string }[] }>(boJar, "GET", "/api/mail/contacts?q=ann");
    expect(contacts.body.contacts).toEqual([{ name: "Ann Example", address: users.ann.email }]);
  });

  it("refuses the signed-out, cross-site requests, bad input and files over the limit", async () => {
    const anon = new CookieJar();
    expect((await call(anon, "POST", "/api/mail/send", { to: [], subject: "x" })).status).toBe(401);
    expect((await call(annJar, "POST", "/api/mail/send", { to: [{ name: "", address: users.bo.email }], subject: "x" }, { origin: "https://evil.example" })).status).toBe(403);
    const bad = await call<{ error: { code: string; message: string } }>(annJar, "POST", "/api/mail/send", { to: [{ name: "", address: "nobody" }], subject: "x", html: "" });
    expect(bad.status).toBe(400);
    expect((await call(annJar, "POST", "/api/mail/send", { to: [], subject: "x", html: "" })).status).toBe(400);
    expect((await call(annJar, "POST", "/api/mail/send", { to: [{ name: "", address: users.bo.email }], from: "someone@else.test", subject: "x", html: "" })).status).toBe(403);
    const form = new FormData();
    form.set("draft", JSON.stringify({ subject: "big" }));
    form.set("file", new Blob([Buffer.alloc(1_900_000)]), "big.bin");
    const big = await annJar.fetch(`${base()}/api/mail/drafts/attachments`, { method: "POST", headers: { origin: base() }, body: form });
    expect(big.status).toBe(400);
    expect(((await big.json()) as { error: { message: string } }).error.message).toMatch(/too large/);
    expect((await call(annJar, "DELETE", "/api/mail/scheduled/999999")).status).toBe(404);
  });
});
