import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "../../lib/db/client.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { createMailbox } from "../../lib/mail/mailboxes.ts";
import { addImageSender } from "../../lib/web/mail/image-senders.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { CookieJar, signInOverHttp } from "../helpers/web.ts";
import { startMailStack, type MailStack } from "../web/mail-stack.ts";
import { attachmentMessage, seedSampleMail, textMessage } from "../web/sample-mail.ts";

// Issue 12, item 3 (web): every mail API route that takes an id — mailbox paths, UIDs, thread
// ids, attachment parts, session ids — is tried by alice with bob's. Nothing of bob's comes back
// and nothing of his changes; alice's live stream hears nothing of his mail.

let stack: MailStack;
let alice: { id: number; email: string };
let bob: { id: number; email: string };
const SECRET = "bobonlysecret";
let tried = 0;
const base = () => stack.web!.url;

beforeAll(async () => {
  stack = await startMailStack({ web: true });
  ({ alice, bob } = (await seedUsers(["alice", "bob"])).users as { alice: typeof alice; bob: typeof bob });
  await seedSampleMail(alice);
  await seedSampleMail(bob);
  await createMailbox({ userId: bob.id, name: "Bob-Private" });
  for (let i = 0; i < 3; i++) {
    await deliverMessage({
      raw: attachmentMessage({
        from: "x@remote.example",
        to: bob.email,
        subject: `${SECRET} ${i}`,
        id: `<bob-secret-${i}@remote.example>`,
        body: `body ${SECRET}`,
        files: [{ name: `${SECRET}.txt`, type: "text/plain", data: Buffer.from(`attachment ${SECRET}`) }],
      }),
      targets: [{ userId: bob.id, mailbox: i === 2 ? "Bob-Private" : undefined }],
    });
  }
  await addImageSender({ userId: bob.id, address: "friend@bob.example" });
}, 360_000);

afterAll(async () => {
  console.log(`isolation (web API and SSE): ${tried} requests with bob's ids, none answered with bob's mail`);
  await stack?.stop();
});

async function signedIn(email: string): Promise<CookieJar> {
  const jar = new CookieJar();
  const r = await signInOverHttp(stack.web!, jar, { email, password: "correct horse" });
  expect(r.status).toBe(302);
  return jar;
}

async function call(jar: CookieJar, method: string, path: string, json?: unknown): Promise<{ status: number; text: string }> {
  tried++;
  const res = await jar.fetch(`${base()}${path}`, {
    method,
    headers: { origin: base(), ...(json === undefined ? {} : { "content-type": "application/json" }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  return { status: res.status, text: await res.text() };
}

/** Bob's messages as the store has them: mailbox, uid, flags. */
async function bobsState(): Promise<string> {
  const r = await getPool().query<{ name: string; uid: number; flags: string[] }>(
    "SELECT b.name, m.uid, m.flags FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE m.user_id = $1 ORDER BY b.name, m.uid",
    [bob.id],
  );
  const boxes = await getPool().query<{ name: string }>("SELECT name FROM mailboxes WHERE user_id = $1 ORDER BY name", [bob.id]);
  const account = await getPool().query<{ settings: unknown }>("SELECT settings FROM users WHERE id = $1", [bob.id]);
  return JSON.stringify({ messages: r.rows, boxes: boxes.rows, settings: account.rows[0].settings });
}

describe("the mail API with another user's ids", () => {
  let ids: { threads: string[]; refs: { mailbox: string; uid: number }[]; boxes: string[] };

  beforeAll(async () => {
    const jar = await signedIn(bob.email);
    const boxes = JSON.parse((await call(jar, "GET", "/api/mail/mailboxes")).text).mailboxes as { path: string }[];
    const threads: string[] = [];
    const refs: { mailbox: string; uid: number }[] = [];
    for (const b of boxes) {
      const page = JSON.parse((await call(jar, "GET", `/api/mail/conversations?mailbox=${encodeURIComponent(b.path)}`)).text);
      for (const row of page.rows ?? []) {
        threads.push(row.id);
        for (const ref of row.refs) refs.push({ mailbox: ref.mailbox ?? b.path, uid: ref.uid });
      }
    }
    ids = { threads: [...new Set(threads)], refs, boxes: boxes.map((b) => b.path) };
    expect(ids.threads.length).toBeGreaterThan(5);
    expect(ids.boxes).toContain("Bob-Private");
  });

  it("reads nothing of bob's: conversations, messages, attachments, folders", async () => {
    const jar = await signedIn(alice.email);
    const answers: { path: string; status: number; text: string }[] = [];
    const get = async (path: string) => answers.push({ path, ...(await call(jar, "GET", path)) });
    for (const t of ids.threads) {
      await get(`/api/mail/conversations/${encodeURIComponent(t)}?mailbox=INBOX`);
      await get(`/api/mail/conversations/${encodeURIComponent(t)}?mailbox=Bob-Private`);
    }
    for (const r of ids.refs) {
      await get(`/api/mail/conversations/${encodeURIComponent(`${r.mailbox}#${r.uid}`)}?mailbox=${encodeURIComponent(r.mailbox)}`);
      await get(`/api/mail/message?mailbox=${encodeURIComponent(r.mailbox)}&uid=${r.uid}&images=1`);
      for (const part of ["1", "2", "2.1", "3"]) await get(`/api/mail/attachment?mailbox=${encodeURIComponent(r.mailbox)}&uid=${r.uid}&part=${part}`);
    }
    for (const box of ["Bob-Private", `${bob.email}/INBOX`, "../Bob-Private", "#Users/bob/INBOX"]) {
      await get(`/api/mail/conversations?mailbox=${encodeURIComponent(box)}`);
      await get(`/api/mail/message?mailbox=${encodeURIComponent(box)}&uid=1`);
    }
    await get(`/api/mail/conversations?mailbox=INBOX&q=${SECRET}`);
    await get("/api/mail/mailboxes");
    const leaks = answers.filter((a) => a.text.includes(SECRET) || a.text.includes("Bob-Private"));
    expect(leaks.map((l) => `${l.path} → ${l.status} ${l.text.slice(0, 200)}`)).toEqual([]);
    expect(answers.filter((a) => a.status >= 500).map((a) => `${a.path} → ${a.status}`)).toEqual([]);
  }, 240_000);

  it("changes nothing of bob's: actions, folders, image senders, sessions", async () => {
    const before = await bobsState();
    const jar = await signedIn(alice.email);
    const targets = [{ mailbox: "Bob-Private", uids: [1, 2, 3] }];
    for (const action of ["read", "unread", "star", "unstar", "archive", "spam", "trash", "delete"]) {
      await call(jar, "POST", "/api/mail/actions", { action, targets });
    }
    await call(jar, "POST", "/api/mail/actions", { action: "move", destination: "Bob-Private", targets: [{ mailbox: "INBOX", uids: [1] }] });
    await call(jar, "PATCH", "/api/mail/mailboxes", { path: "Bob-Private", newName: "Taken" });
    await call(jar, "DELETE", "/api/mail/mailboxes?path=Bob-Private");
    await call(jar, "POST", "/api/mail/mailboxes", { name: "Inside", parent: "Bob-Private" });
    await call(jar, "DELETE", `/api/mail/image-senders?address=friend@bob.example`);
    // Bob's sessions, by id, from alice's.
    const bobJar = await signedIn(bob.email);
    const devices = JSON.parse((await call(bobJar, "GET", "/api/session/devices")).text);
    const bobSessions: string[] = (devices.sessions ?? devices.devices ?? devices).map?.((d: { id: string }) => d.id) ?? [];
    expect(bobSessions.length).toBeGreaterThan(0);
    for (const id of bobSessions) {
      const r = await call(jar, "DELETE", `/api/session/devices/${encodeURIComponent(id)}`);
      expect(r.status, r.text).not.toBe(200);
    }
    expect((await call(bobJar, "GET", "/api/session")).status).toBe(200);
    // Admin routes are not for alice.
    const admin: [string, string, unknown?][] = [
      ["GET", "/api/admin/users"],
      ["PATCH", `/api/admin/users/${encodeURIComponent(bob.email)}`, { disabled: true }],
      ["DELETE", `/api/admin/users/${encodeURIComponent(bob.email)}`],
      ["GET", "/api/admin/queue"],
      ["GET", "/api/admin/deliveries"],
      ["GET", "/api/admin/domains"],
    ];
    for (const [method, path, body] of admin) {
      const r = await call(jar, method, path, body);
      expect([401, 403], `${method} ${path}: ${r.text}`).toContain(r.status);
      expect(r.text).not.toContain(SECRET);
    }
    expect(await bobsState()).toBe(before);
  }, 120_000);

  it("alice's live stream hears nothing of bob's new mail", async () => {
    const jar = await signedIn(alice.email);
    for (const box of ["Bob-Private", "INBOX"]) {
      tried++;
      const res = await jar.fetch(`${base()}/api/mail/events?mailbox=${encodeURIComponent(box)}`);
      if (box === "Bob-Private") {
        // Either refused or a stream that never says anything of bob's.
        if (res.status !== 200) {
          await res.body?.cancel();
          continue;
        }
      }
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      // One read in flight at a time: a read abandoned on timeout would swallow the next chunk.
      let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
      const readFor = async (ms: number) => {
        const until = Date.now() + ms;
        while (Date.now() < until) {
          pending ??= reader.read();
          const chunk = await Promise.race([pending, new Promise<null>((r) => setTimeout(() => r(null), Math.max(0, until - Date.now())))]);
          if (!chunk) break;
          pending = null;
          if (chunk.done) break;
          text += decoder.decode(chunk.value, { stream: true });
        }
      };
      await readFor(1500); // "ready"
      const mark = text.length;
      await deliverMessage({ raw: textMessage({ from: "x@remote.example", to: bob.email, subject: `${SECRET} live`, id: `<live-${box}@remote.example>`, body: SECRET }), targets: [{ userId: bob.id }] });
      await deliverMessage({ raw: textMessage({ from: "x@remote.example", to: bob.email, subject: `${SECRET} live 2`, id: `<live2-${box}@remote.example>`, body: SECRET }), targets: [{ userId: bob.id, mailbox: "Bob-Private" }] });
      await readFor(2500);
      const after = text.slice(mark);
      expect(after, box).not.toMatch(/event: change/);
      expect(after).not.toContain(SECRET);
      if (box === "INBOX") {
        // The control: alice's own delivery is heard.
        await deliverMessage({ raw: textMessage({ from: "x@remote.example", to: alice.email, subject: "for alice", id: "<live-alice@remote.example>", body: "hi" }), targets: [{ userId: alice.id }] });
        await readFor(3000);
        expect(text.slice(mark)).toMatch(/event: change/);
      }
      await reader.cancel().catch(() => undefined);
    }
  }, 60_000);
});
