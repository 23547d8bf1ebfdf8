import fs from "node:fs";
import path from "node:path";
import PostalMime from "postal-mime";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession } from "../../lib/auth/sessions.ts";
import { withImap, type ImapIdentity } from "../../lib/imap-client/pool.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { updateMailSettings } from "../../lib/web/mail/compose/settings.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/wait.ts";
import { launchChromium, signInInBrowser } from "../helpers/web.ts";
import { startRemoteRelay, type RemoteRelay } from "../queue/helpers/remote-relay.ts";
import { startMailStack, type MailStack } from "../web/mail-stack.ts";

// Writing mail in Debian's Chromium against `next start` (which talks IMAP to Pigeon's IMAP
// server and enqueues into the outbound queue; a relay runs in this process and delivers remote
// mail to a fake MX found through a fake DNS): compose and send with the recipient watching live,
// reply in the thread, an attachment byte for byte, a draft reopened elsewhere, Undo, send later
// with the browser closed, cancel from another device, the search operators, and a remote send.

let stack: MailStack;
let browser: Browser;
let remote: RemoteRelay;
let users: Record<string, { id: number; email: string }>;
const SHOTS = path.resolve(import.meta.dirname, "screenshots");

beforeAll(async () => {
  stack = await startMailStack({ web: true });
  remote = await startRemoteRelay(stack.db.url);
  users = (await seedUsers(["ann", "bo", "cal", "dot"])).users;
  for (const u of Object.values(users)) await updateMailSettings({ userId: u.id, update: { undoSeconds: 0 } });
  await updateMailSettings({ userId: users.ann.id, update: { displayName: "Ann Writer", signature: "Ann\nPigeon HQ" } });
  browser = await launchChromium();
  fs.mkdirSync(SHOTS, { recursive: true });
}, 360_000);

afterAll(async () => {
  await browser?.close();
  await remote?.close();
  await stack?.stop();
});

async function open(email: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ baseURL: stack.web!.url, viewport: { width: 1360, height: 880 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await signInInBrowser(page, email);
  await page.getByTestId("compose-button").waitFor();
  return { context, page, errors };
}

async function identity(u: { id: number; email: string }): Promise<ImapIdentity> {
  const s = await createSession({ userId: u.id });
  return { sessionId: s.id, userId: u.id, email: u.email };
}

async function inbox(who: ImapIdentity, subject: string, folder = "INBOX"): Promise<Buffer[]> {
  return withImap(who, async (c) => {
    const lock = await c.getMailboxLock(folder);
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

/** Fills a new message in the compose window (opened with the Compose button). */
async function write(page: Page, m: { to: string[]; subject: string; body: string }) {
  await page.getByTestId("compose-button").click();
  const win = page.getByTestId("compose-window").last();
  await win.waitFor();
  for (const t of m.to) {
    await win.getByTestId("compose-to").fill(t);
    await win.getByTestId("compose-to").press("Enter");
  }
  await win.getByTestId("compose-subject").fill(m.subject);
  await win.getByTestId("compose-body").click();
  await page.keyboard.press("Control+Home");
  await page.keyboard.type(m.body);
  return win;
}

const row = (page: Page, text: string) => page.getByTestId("conversation-row").filter({ hasText: text });

describe("compose in the browser", () => {
  it("composes and sends to a local user who sees it arrive live; the reply keeps the thread", async () => {
    const bo = await open(users.bo.email);
    const ann = await open(users.ann.email);
    const win = await write(ann.page, { to: [users.bo.email], subject: "Picnic on Sunday", body: "Bring the blue blanket." });
    await expect.poll(() => win.getByTestId("compose-to-chip").count()).toBe(1);
    // The signature is there, below what was typed.
    await expect.poll(() => win.getByTestId("compose-body").innerText()).toMatch(/Bring the blue blanket\.[\s\S]*--\s*\nAnn\nPigeon HQ/);
    await ann.page.screenshot({ path: path.join(SHOTS, "compose-window.png") });
    await win.getByRole("button", { name: "Full screen" }).click();
    await ann.page.screenshot({ path: path.join(SHOTS, "compose-maximized.png") });
    await win.getByRole("button", { name: "Exit full screen" }).click();
    await win.getByTestId("compose-send").click();
    await ann.page.getByTestId("send-toast").filter({ hasText: "Message sent" }).waitFor();
    await expect.poll(() => ann.page.getByTestId("compose-window").count()).toBe(0);

    // Bo's open Inbox shows it without a reload.
    await row(bo.page, "Picnic on Sunday").waitFor({ timeout: 20_000 });
    await row(bo.page, "Picnic on Sunday").click();
    // HTML mail is shown in a sandboxed frame.
    await bo.page.frameLocator('[data-testid="conversation"] iframe').last().getByText("Bring the blue blanket.").waitFor();
    await bo.page.getByRole("button", { name: "Reply", exact: false }).first().click();
    const reply = bo.page.getByTestId("compose-window").filter({ has: bo.page.getByTestId("compose-subject") }).first();
    await reply.waitFor();
    expect(await reply.getAttribute("data-placement")).toBe("inline");
    expect(await reply.getByTestId("compose-subject").inputValue()).toBe("Re: Picnic on Sunday");
    expect(await reply.getByTestId("compose-to-chip").innerText()).toContain("Ann Writer");
    await reply.getByTestId("compose-body").click();
    await bo.page.keyboard.press("Control+Home");
    await bo.page.keyboard.type("I will bring lemonade.");
    await bo.page.screenshot({ path: path.join(SHOTS, "compose-inline-reply.png") });
    await reply.getByTestId("compose-send").click();
    await bo.page.getByTestId("send-toast").waitFor();

    // Ann sees one conversation of two messages: hers (in Sent) and Bo's answer.
    await row(ann.page, "Re: Picnic on Sunday").waitFor({ timeout: 20_000 });
    await row(ann.page, "Re: Picnic on Sunday").click();
    await ann.page.getByTestId("conversation").getByText("2 messages").waitFor();
    const annId = await identity(users.ann);
    const [raw] = await inbox(annId, "Re: Picnic on Sunday");
    const p = await PostalMime.parse(raw);
    expect(p.inReplyTo).toMatch(/^<.+>$/);
    expect(p.text).toContain("I will bring lemonade.");
    expect(p.text).toMatch(/wrote:\n\n?> Bring the blue blanket\./);
    // Nothing sent is left behind in Drafts.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await inbox(annId, "Picnic", "Drafts")).toEqual([]);
    expect(await inbox(await identity(users.bo), "Picnic", "Drafts")).toEqual([]);
    expect(bo.errors).toEqual([]);
    expect(ann.errors).toEqual([]);
    await bo.context.close();
    await ann.context.close();
  }, 120_000);

  it("round-trips attachments byte for byte (picker and drag-and-drop) with progress", async () => {
    const ann = await open(users.ann.email);
    const win = await write(ann.page, { to: [users.cal.email], subject: "Two files", body: "Both attached." });
    const picked = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 131 + 17) % 256));
    await win.getByTestId("compose-file").setInputFiles({ name: "picked.bin", mimeType: "application/octet-stream", buffer: picked });
    await win.getByTestId("compose-attachment").filter({ hasText: "picked.bin" }).waitFor();
    // Drag and drop a second file onto the window.
    const dropped = "col1,col2\n1,2\n";
    const dataTransfer = await ann.page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], "dropped.csv", { type: "text/csv" }));
      return dt;
    }, dropped);
    await win.dispatchEvent("dragenter", { dataTransfer });
    await win.dispatchEvent("drop", { dataTransfer });
    await win.getByTestId("compose-attachment").filter({ hasText: "dropped.csv" }).waitFor();
    await ann.page.screenshot({ path: path.join(SHOTS, "compose-attachments.png") });
    await win.getByTestId("compose-send").click();
    await ann.page.getByTestId("send-toast").waitFor();

    const cal = await identity(users.cal);
    const [raw] = await waitFor(
      "the mail in Cal's INBOX",
      async () => {
        const r = await inbox(cal, "Two files");
        return r.length ? r : null;
      },
      20_000,
    );
    const p = await PostalMime.parse(raw);
    const byName = new Map(p.attachments.map((a) => [a.filename, Buffer.from(a.content as ArrayBuffer)]));
    expect(byName.get("picked.bin")?.equals(picked)).toBe(true);
    expect(byName.get("dropped.csv")?.toString()).toBe(dropped);

    // Over the size limit: refused before uploading, with a reason.
    const again = await write(ann.page, { to: [users.cal.email], subject: "Too big", body: "x" });
    await again.getByTestId("compose-file").setInputFiles({ name: "huge.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(20 * 1024 * 1024) });
    await again.getByTestId("compose-upload").filter({ hasText: "Too large" }).waitFor();
    await again.getByTestId("compose-discard").click();
    await ann.context.close();
  }, 120_000);

  it("saves a draft automatically and reopens it in a second browser", async () => {
    const first = await open(users.dot.email);
    const win = await write(first.page, { to: [users.ann.email], subject: "Half-written thoughts", body: "To be continued" });
    await win.getByTestId("compose-status").filter({ hasText: "Draft saved" }).waitFor();
    await first.context.close();

    const second = await open(users.dot.email);
    await second.page.getByRole("link", { name: "Drafts" }).click();
    await row(second.page, "Half-written thoughts").click();
    const reopened = second.page.getByTestId("compose-window").last();
    await reopened.waitFor();
    expect(await reopened.getByTestId("compose-subject").inputValue()).toBe("Half-written thoughts");
    expect(await reopened.getByTestId("compose-body").innerText()).toContain("To be continued");
    expect(await reopened.getByTestId("compose-to-chip").innerText()).toContain(users.ann.email);
    await reopened.getByTestId("compose-send").click();
    await second.page.getByTestId("send-toast").waitFor();
    const annId = await identity(users.ann);
    await waitFor("the draft sent from the other device", async () => (await inbox(annId, "Half-written thoughts")).length > 0, 20_000);
    await second.context.close();
  }, 90_000);

  it("Undo stops the send and brings the message back", async () => {
    await updateMailSettings({ userId: users.ann.id, update: { undoSeconds: 10 } });
    try {
      const ann = await open(users.ann.email);
      const win = await write(ann.page, { to: [users.bo.email], subject: "Angry words", body: "I take it back." });
      await win.getByTestId("compose-send").click();
      await ann.page.getByTestId("send-undo").click();
      const back = ann.page.getByTestId("compose-window").last();
      await back.waitFor();
      expect(await back.getByTestId("compose-subject").inputValue()).toBe("Angry words");
      await new Promise((r) => setTimeout(r, 12_000));
      const bo = await identity(users.bo);
      expect(await inbox(bo, "Angry words")).toEqual([]);
      await back.getByTestId("compose-discard").click();
      await ann.context.close();
    } finally {
      await updateMailSettings({ userId: users.ann.id, update: { undoSeconds: 0 } });
    }
  }, 90_000);

  it("send later fires with the browser closed; a scheduled message shows and cancels on another device", async () => {
    const ann = await open(users.ann.email);
    const win = await write(ann.page, { to: [users.bo.email], subject: "Wake up call", body: "Good morning!" });
    await win.getByTestId("compose-schedule").click();
    const at = new Date(Date.now() + 25_000);
    const p2 = (n: number) => String(n).padStart(2, "0");
    const local = `${at.getFullYear()}-${p2(at.getMonth() + 1)}-${p2(at.getDate())}T${p2(at.getHours())}:${p2(at.getMinutes())}:${p2(at.getSeconds())}`;
    await ann.page.getByTestId("compose-schedule-at").fill(local);
    await ann.page.getByTestId("compose-schedule-submit").click();
    await ann.page.getByTestId("send-toast").filter({ hasText: "Send scheduled" }).waitFor();
    await ann.context.close();

    const bo = await identity(users.bo);
    expect(await inbox(bo, "Wake up call")).toEqual([]);
    await waitFor("the scheduled mail", async () => (await inbox(bo, "Wake up call")).length > 0, 45_000);

    // Scheduled far ahead on one device, cancelled from another.
    const one = await open(users.ann.email);
    const w2 = await write(one.page, { to: [users.bo.email], subject: "Next week", body: "Reminder" });
    await w2.getByTestId("compose-schedule").click();
    await one.page.getByRole("button", { name: /Monday morning/ }).click();
    await one.page.getByTestId("send-toast").filter({ hasText: "Send scheduled" }).waitFor();
    await one.context.close();
    const two = await open(users.ann.email);
    await two.page.getByTestId("scheduled-chip").click();
    await two.page.getByTestId("scheduled-list").getByText("Next week").waitFor();
    await two.page.screenshot({ path: path.join(SHOTS, "compose-scheduled.png") });
    await two.page.getByRole("button", { name: "Cancel send" }).click();
    const back = two.page.getByTestId("compose-window").last();
    await back.waitFor();
    expect(await back.getByTestId("compose-subject").inputValue()).toBe("Next week");
    await expect.poll(() => two.page.getByTestId("scheduled-chip").count()).toBe(0);
    // The copy in Sent of the one that went is filed.
    const annId = await identity(users.ann);
    await waitFor("the copy in Sent", async () => (await inbox(annId, "Wake up call", "Sent")).length > 0, 20_000);
    await two.context.close();
  }, 150_000);

  it("sends to a remote domain through the relay to its MX", async () => {
    const ann = await open(users.ann.email);
    const win = await write(ann.page, { to: ["Rita <rita@remote.example>"], subject: "Across the net", body: "Hello Rita" });
    await win.getByTestId("compose-send").click();
    await ann.page.getByTestId("send-toast").waitFor();
    const mail = await waitFor("the remote MX", async () => remote.mx.received.find((m) => m.to.includes("rita@remote.example")), 20_000);
    const p = await PostalMime.parse(mail.raw);
    expect(p.subject).toBe("Across the net");
    expect(p.from).toMatchObject({ name: "Ann Writer", address: users.ann.email });
    expect(p.to?.[0]).toMatchObject({ name: "Rita", address: "rita@remote.example" });
    await ann.context.close();
  }, 60_000);
});

describe("search in the browser", () => {
  it("answers each operator with the right conversations", async () => {
    const who = (await seedUsers(["seeker"])).users.seeker;
    const DAY = 86_400_000;
    const mk = (o: { from: string; subject: string; body: string; attach?: boolean }) =>
      Buffer.from(
        [
          `From: ${o.from}`,
          `To: ${who.email}`,
          `Subject: ${o.subject}`,
          `Message-ID: <${Math.random().toString(36).slice(2)}@s.test>`,
          "MIME-Version: 1.0",
          ...(o.attach
            ? ['Content-Type: multipart/mixed; boundary="b"', "", "--b", "Content-Type: text/plain", "", o.body, "--b", 'Content-Type: application/pdf; name="a.pdf"', "Content-Disposition: attachment", "", "x", "--b--"]
            : ["Content-Type: text/plain", "", o.body]),
          "",
        ].join("\r\n"),
      );
    const put = (raw: Buffer, daysAgo: number, mailbox?: string, flags: string[] = []) =>
      deliverMessage({ raw, targets: [{ userId: who.id, mailbox, flags }], internalDate: new Date(Date.now() - daysAgo * DAY) });
    await put(mk({ from: "Olga <olga@x.test>", subject: "Budget review", body: "numbers inside" }), 40);
    await put(mk({ from: "Pete <pete@y.test>", subject: "Holiday photos", body: "see attached", attach: true }), 20, undefined, ["\\Seen", "\\Flagged"]);
    await put(mk({ from: "Olga <olga@x.test>", subject: "Archived memo", body: "old memo" }), 400, "\\Archive", ["\\Seen"]);
    await put(mk({ from: "Spam <spam@z.test>", subject: "Budget offer", body: "buy now" }), 1, "\\Junk");

    const { page, context } = await open(who.email);
    const search = async (q: string): Promise<string[]> => {
      await page.getByLabel("Search mail").fill(q);
      await page.getByLabel("Search mail").press("Enter");
      await page.waitForURL((u) => new URL(u).searchParams.get("q") === q);
      // The list of this search, loaded: its heading names the query, and nothing is loading.
      await page.getByRole("heading", { name: `Search: “${q}”` }).waitFor();
      await page.waitForFunction(() => {
        const scroller = document.querySelector('[data-testid="conversation-scroller"]');
        return !!scroller && !/Loading/.test(scroller.textContent ?? "");
      });
      return page.getByTestId("conversation-row").evaluateAll((rows) => rows.map((r) => (r.textContent ?? "").replace(/\s+/g, " ")));
    };
    const has = (rows: string[], ...subjects: string[]) => expect(subjects.map((s) => rows.some((r) => r.includes(s)))).toEqual(subjects.map(() => true));
    const count = async (q: string) => (await search(q)).length;

    has(await search("from:olga"), "Budget review", "Archived memo");
    expect(await count("from:olga")).toBe(2);
    expect(await count("budget")).toBe(1);
    expect(await count("in:spam budget")).toBe(1);
    has(await search("has:attachment"), "Holiday photos");
    expect(await count("has:attachment")).toBe(1);
    has(await search("is:starred"), "Holiday photos");
    has(await search("is:unread"), "Budget review");
    expect(await count("is:unread")).toBe(1);
    expect(await count("is:read")).toBe(2);
    has(await search("in:archive"), "Archived memo");
    expect(await count("older_than:1y")).toBe(1);
    expect(await count("newer_than:30d")).toBe(1);
    expect(await count("from:olga -subject:memo")).toBe(1);
    expect(await count("from:olga OR from:pete")).toBe(3);
    expect(await count('"numbers inside"')).toBe(1);
    expect(await count("subject:review")).toBe(1);
    expect(await count("larger:1M")).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, "search-results.png") });
    await context.close();
  }, 120_000);
});

describe("preferences", () => {
  it("saves display name, signature, reading pane, shortcuts, remote images, time zone and undo", async () => {
    const { page, context } = await open(users.cal.email);
    await page.goto("/settings/preferences");
    await page.getByLabel("Display name").fill("Cal Jones");
    await page.getByLabel("Signature").fill("Cal\nOn the road");
    await page.getByLabel("Below the list").check();
    await page.getByLabel(/Keyboard shortcuts/).uncheck();
    await page.getByLabel("Images from the web in messages").selectOption("never");
    await page.getByLabel("Undo send").selectOption("20");
    await page.getByLabel("Time zone").selectOption("Europe/Lisbon");
    await page.getByRole("button", { name: "Save preferences" }).click();
    await page.getByTestId("form-success").waitFor();
    await page.screenshot({ path: path.join(SHOTS, "settings-preferences.png") });
    await page.reload();
    expect(await page.getByLabel("Display name").inputValue()).toBe("Cal Jones");
    expect(await page.getByLabel("Undo send").inputValue()).toBe("20");
    expect(await page.getByLabel("Time zone").inputValue()).toBe("Europe/Lisbon");
    expect(await page.getByLabel("Below the list").isChecked()).toBe(true);
    expect(await page.getByLabel(/Keyboard shortcuts/).isChecked()).toBe(false);
    await page.getByRole("link", { name: "App passwords" }).first().waitFor();

    // The mail follows them: the conversation opens below the list; shortcuts are off.
    await page.goto("/mail");
    await row(page, "Two files").click();
    await page.getByTestId("conversation").getByText("Two files").first().waitFor();
    const list = await page.getByRole("region", { name: "Inbox conversations" }).boundingBox();
    const conversation = await page.getByRole("region", { name: "Conversation", exact: true }).boundingBox();
    expect(conversation!.y).toBeGreaterThan(list!.y + 100);
    expect(Math.abs(conversation!.x - list!.x)).toBeLessThan(5);
    await page.screenshot({ path: path.join(SHOTS, "mail-reading-pane-bottom.png") });
    await page.locator("body").press("c");
    await page.waitForTimeout(500);
    expect(await page.getByTestId("compose-window").count()).toBe(0);
    await context.close();
  }, 60_000);
});
