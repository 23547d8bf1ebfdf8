import PostalMime from "postal-mime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addAlias } from "../../lib/accounts/aliases.ts";
import { createSession } from "../../lib/auth/sessions.ts";
import { getPool } from "../../lib/db/client.ts";
import { withImap, type ImapIdentity } from "../../lib/imap-client/pool.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { forgetContacts, suggestContacts } from "../../lib/web/mail/compose/contacts.ts";
import { discardDraft, openDraft, readMessageSource, saveDraft, uidsWithMessageId } from "../../lib/web/mail/compose/drafts.ts";
import { htmlToPlainText, sanitizeComposeHtml } from "../../lib/web/mail/compose/html.ts";
import { prefixedSubject } from "../../lib/web/mail/compose/mime.ts";
import { replyRecipients, startReply } from "../../lib/web/mail/compose/reply.ts";
import { composeSchema, sendSchema, type ComposeInput } from "../../lib/web/mail/compose/schemas.ts";
import { cancelSend, fileDueSentCopies, listScheduled, sendMessage } from "../../lib/web/mail/compose/send.ts";
import { getMailSettings, updateMailSettings } from "../../lib/web/mail/compose/settings.ts";
import { openConversation } from "../../lib/web/mail/conversation.ts";
import { addImageSender } from "../../lib/web/mail/image-senders.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/wait.ts";
import { startRemoteRelay, type RemoteRelay } from "../queue/helpers/remote-relay.ts";
import { startMailStack, type MailStack } from "./mail-stack.ts";

// Compose, drafts and sending at the library level, against Pigeon's real IMAP server (over the
// web's session tokens), the real outbound queue, and a relay running in this process that
// delivers to a fake MX found through a fake DNS server.

process.env.MAX_MESSAGE_SIZE = String(3 * 1024 * 1024);

let stack: MailStack;
let remote: RemoteRelay;
let domain = "";
let ana: ImapIdentity;
let ben: ImapIdentity;
let cy: ImapIdentity;

async function identityOf(u: { id: number; email: string }): Promise<ImapIdentity> {
  const s = await createSession({ userId: u.id });
  return { sessionId: s.id, userId: u.id, email: u.email };
}

beforeAll(async () => {
  stack = await startMailStack();
  remote = await startRemoteRelay(stack.db.url);
  const seeded = await seedUsers(["ana", "ben", "cy"]);
  domain = seeded.domain;
  ana = await identityOf(seeded.users.ana);
  ben = await identityOf(seeded.users.ben);
  cy = await identityOf(seeded.users.cy);
  await updateMailSettings({ userId: ana.userId, update: { displayName: "Ana Lima", undoSeconds: 0 } });
  await updateMailSettings({ userId: ben.userId, update: { displayName: "Ben Ode", undoSeconds: 0 } });
}, 120_000);

afterAll(async () => {
  await remote?.close();
  await stack?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Raw messages in a folder with this subject. */
async function inFolder(who: ImapIdentity, folder: string, subject: string): Promise<{ uid: number; raw: Buffer; flags: Set<string>; threadId: string | null }[]> {
  return withImap(
    who,
    async (c) => {
      const lock = await c.getMailboxLock(folder);
      try {
        const r = await c.search({ subject }, { uid: true });
        const uids = Array.isArray(r) ? r : [];
        if (!uids.length) return [];
        const rows = await c.fetchAll(uids.join(","), { uid: true, source: true, flags: true, threadId: true }, { uid: true });
        return rows.map((m) => ({ uid: m.uid, raw: m.source!, flags: m.flags ?? new Set<string>(), threadId: m.threadId ?? null }));
      } finally {
        lock.release();
      }
    },
    { lane: "aux" },
  );
}

function compose(input: Omit<Partial<ComposeInput>, "attachments"> & { sendAt?: string; attachments?: (string | { id: string })[] }) {
  const attachments = (input.attachments ?? []).map((a) => (typeof a === "string" ? a : a.id));
  return sendSchema.parse({ to: [], cc: [], bcc: [], ...input, attachments });
}

describe("settings", () => {
  it("reads defaults, updates fields one at a time, refuses bad values", async () => {
    const s = await getMailSettings({ userId: cy.userId });
    expect(s).toMatchObject({ email: cy.email, displayName: "", signature: "", readingPane: "right", keyboardShortcuts: true, remoteImages: "ask", timeZone: "", undoSeconds: 5 });
    await updateMailSettings({ userId: cy.userId, update: { signature: "Cy\nPigeon team", timeZone: "Europe/Paris" } });
    await updateMailSettings({ userId: cy.userId, update: { readingPane: "bottom", keyboardShortcuts: false, displayName: "Cy Ng" } });
    expect(await getMailSettings({ userId: cy.userId })).toMatchObject({
      displayName: "Cy Ng",
      signature: "Cy\nPigeon team",
      timeZone: "Europe/Paris",
      readingPane: "bottom",
      keyboardShortcuts: false,
      undoSeconds: 5,
    });
    await expect(updateMailSettings({ userId: cy.userId, update: { timeZone: "Mars/Olympus" } })).rejects.toMatchObject({ code: "INVALID" });
    await expect(updateMailSettings({ userId: cy.userId, update: { undoSeconds: 7 as never } })).rejects.toMatchObject({ code: "INVALID" });
    await expect(updateMailSettings({ userId: cy.userId, update: { displayName: "Evil\r\nBcc: x@y" } })).rejects.toMatchObject({ code: "INVALID" });
    // A stored value that no longer fits falls back to its default.
    await getPool().query(`UPDATE users SET settings = jsonb_set(settings, '{mail,readingPane}', '"sideways"') WHERE id = $1`, [cy.userId]);
    expect((await getMailSettings({ userId: cy.userId })).readingPane).toBe("right");
  });
});

describe("remote images preference", () => {
  it("always shows, never shows, or asks (trusted senders only)", async () => {
    const html = '<p>Look</p><img src="https://img.example/cat.png" alt="cat">';
    const raw = Buffer.from(
      [`From: Pat <pat@remote.example>`, `To: ${cy.email}`, "Subject: Cat picture", "Message-ID: <cat@remote.example>", "MIME-Version: 1.0", "Content-Type: text/html; charset=utf-8", "", html, ""].join("\r\n"),
    );
    const { stored } = await deliverMessage({ raw, targets: [{ userId: cy.userId }] });
    const shown = async () => {
      const c = await openConversation(cy, { id: `INBOX#${stored[0].uid}`, mailbox: "INBOX" });
      const body = c.messages[0].body;
      return body.kind === "html" ? body.imagesShown : null;
    };
    await updateMailSettings({ userId: cy.userId, update: { remoteImages: "ask" } });
    expect(await shown()).toBe(false);
    await addImageSender({ userId: cy.userId, address: "pat@remote.example" });
    expect(await shown()).toBe(true);
    await updateMailSettings({ userId: cy.userId, update: { remoteImages: "never" } });
    expect(await shown()).toBe(false);
    await updateMailSettings({ userId: cy.userId, update: { remoteImages: "always" } });
    expect(await shown()).toBe(true);
    await updateMailSettings({ userId: cy.userId, update: { remoteImages: "ask" } });
  });
});

describe("sending", () => {
  it("sends HTML with a plain-text alternative to a local user, files a copy with Bcc in Sent, and the thread holds on reply", async () => {
    const sent = await sendMessage(
      ana,
      compose({
        to: [{ name: "Ben", address: ben.email }],
        bcc: [{ name: "", address: cy.email }],
        subject: "Lunch on Friday?",
        html: '<p>Hi <strong>Ben</strong>,</p><p>lunch at <a href="https://food.example/menu">the usual place</a>?</p><blockquote><p>quoted line</p></blockquote>',
      }),
    );
    expect(sent.scheduled).toBe(false);
    expect(sent.undoUntil).toBeNull();

    const [got] = await waitFor("the mail in Ben's INBOX", async () => {
      const r = await inFolder(ben, "INBOX", "Lunch on Friday?");
      return r.length ? r : null;
    });
    const parsed = await PostalMime.parse(got.raw);
    expect(parsed.from).toMatchObject({ name: "Ana Lima", address: ana.email });
    expect(parsed.bcc ?? []).toEqual([]);
    expect(got.raw.toString()).not.toMatch(/^Bcc:/im);
    expect(parsed.messageId).toBe(sent.messageId);
    expect(parsed.html).toContain("<strong>Ben</strong>");
    expect(parsed.text).toContain("lunch at the usual place <https://food.example/menu>?");
    expect(parsed.text).toContain("> quoted line");
    // Bcc recipients get it too, without seeing the header.
    expect(await inFolder(cy, "INBOX", "Lunch on Friday?")).toHaveLength(1);

    const [copy] = await inFolder(ana, "Sent", "Lunch on Friday?");
    expect(copy.flags.has("\\Seen")).toBe(true);
    expect((await PostalMime.parse(copy.raw)).bcc?.[0]?.address).toBe(cy.email);

    // Ben replies: the reply draft answers Ana, quotes her, and threads.
    const draft = await startReply(ben, { mailbox: "INBOX", uid: got.uid, mode: "reply" });
    expect(draft.to).toEqual([{ name: "Ana Lima", address: ana.email }]);
    expect(draft.cc).toEqual([]);
    expect(draft.subject).toBe("Re: Lunch on Friday?");
    expect(draft.inReplyTo).toBe(sent.messageId);
    expect(draft.references).toEqual([sent.messageId]);
    expect(draft.html).toMatch(/wrote:<\/p><blockquote>.*lunch at/s);
    const reply = await sendMessage(ben, compose({ ...draft, html: `<p>Yes!</p>${draft.html}` }));
    const [answer] = await waitFor("the reply in Ana's INBOX", async () => {
      const r = await inFolder(ana, "INBOX", "Re: Lunch on Friday?");
      return r.length ? r : null;
    });
    const a = await PostalMime.parse(answer.raw);
    expect(a.inReplyTo).toBe(sent.messageId);
    expect(a.references).toBe(sent.messageId);
    // Ana's Sent copy and Ben's answer are one conversation for Ana.
    expect(answer.threadId).toBe(copy.threadId);
    expect(reply.messageId).toBe(a.messageId);
    // Ben's original is marked answered.
    const [orig] = await inFolder(ben, "INBOX", "Lunch on Friday?");
    expect(orig.flags.has("\\Answered")).toBe(true);
  });

  it("reply all leaves the user out; forwarding carries the attachments", async () => {
    const raw = Buffer.from(
      [
        "From: Dee <dee@remote.example>",
        `To: ${ana.email}, Eli <eli@remote.example>`,
        `Cc: ${ben.email}`,
        "Reply-To: team@remote.example",
        "Subject: Plans",
        "Message-ID: <plans@remote.example>",
        "References: <earlier@remote.example>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "See the plan.",
        "--b",
        'Content-Type: application/pdf; name="plan.pdf"',
        'Content-Disposition: attachment; filename="plan.pdf"',
        "Content-Transfer-Encoding: base64",
        "",
        Buffer.from("%PDF-1.4 plan").toString("base64"),
        "--b--",
        "",
      ].join("\r\n"),
    );
    const { stored } = await deliverMessage({ raw, targets: [{ userId: ana.userId }] });
    const uid = stored[0].uid;
    const all = await startReply(ana, { mailbox: "INBOX", uid, mode: "replyAll" });
    expect(all.to.map((r) => r.address)).toEqual(["team@remote.example"]);
    // Reply-To stands for the sender, as mail clients read it.
    expect(all.cc.map((r) => r.address)).toEqual(["eli@remote.example", ben.email]);
    expect(all.references).toEqual(["<earlier@remote.example>", "<plans@remote.example>"]);
    expect(all.html).toContain("See the plan.");

    const fwd = await startReply(ana, { mailbox: "INBOX", uid, mode: "forward" });
    expect(fwd.subject).toBe("Fwd: Plans");
    expect(fwd.uid).toBeGreaterThan(0);
    expect(fwd.attachments).toEqual([expect.objectContaining({ filename: "plan.pdf", contentType: "application/pdf", size: 13 })]);
    expect(fwd.html).toContain("Forwarded message");
    await sendMessage(ana, compose({ ...fwd, to: [{ name: "", address: ben.email }], attachments: fwd.attachments.map((x) => x.id) }));
    const [got] = await waitFor("the forward in Ben's INBOX", async () => {
      const r = await inFolder(ben, "INBOX", "Fwd: Plans");
      return r.length ? r : null;
    });
    const p = await PostalMime.parse(got.raw);
    expect(p.attachments.map((x) => [x.filename, Buffer.from(x.content as ArrayBuffer).toString()])).toEqual([["plan.pdf", "%PDF-1.4 plan"]]);
    // The forward's draft is gone from Drafts.
    expect(await inFolder(ana, "Drafts", "Fwd: Plans")).toEqual([]);
  });

  it("reply recipients: from Sent, answer the recipients", () => {
    const mine = (a: string) => a === "me@x.test";
    const original = { from: { name: "", address: "me@x.test" }, to: [{ name: "", address: "a@x.test" }], cc: [{ name: "", address: "b@x.test" }], replyTo: [] };
    expect(replyRecipients(original, "reply", mine)).toEqual({ to: [{ name: "", address: "a@x.test" }], cc: [] });
    expect(replyRecipients(original, "replyAll", mine)).toEqual({ to: [{ name: "", address: "a@x.test" }], cc: [{ name: "", address: "b@x.test" }] });
    expect(prefixedSubject("Re", "RE: Fwd: re: hi")).toBe("Re: hi");
  });

  it("sends as an alias the user owns, not as anyone else", async () => {
    await addAlias({ address: `sales@${domain}`, to: [ana.email] });
    const r = await sendMessage(ana, compose({ from: `sales@${domain}`, to: [{ name: "", address: ben.email }], subject: "From sales", html: "<p>hi</p>" }));
    const [got] = await waitFor("the alias's mail in Ben's INBOX", async () => {
      const x = await inFolder(ben, "INBOX", "From sales");
      return x.length ? x : null;
    });
    expect((await PostalMime.parse(got.raw)).from?.address).toBe(`sales@${domain}`);
    expect(r.messageId).toMatch(new RegExp(`@${domain.replace(/\./g, "\\.")}>$`));
    await expect(sendMessage(ana, compose({ from: ben.email, to: [{ name: "", address: cy.email }], subject: "spoof", html: "x" }))).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(sendMessage(ana, compose({ to: [], subject: "nobody", html: "x" }))).rejects.toMatchObject({ code: "INVALID" });
    await expect(sendMessage(ana, compose({ to: [{ name: "", address: "not an address" }], subject: "bad", html: "x" }))).rejects.toMatchObject({ code: "INVALID" });
  });

  it("delivers to a remote domain through the relay to its MX", async () => {
    const r = await sendMessage(ana, compose({ to: [{ name: "Rita", address: "rita@remote.example" }], subject: "Over the wire", html: "<p>Hello from Pigeon</p>" }));
    const mail = await waitFor("the remote MX", async () => remote.mx.received.find((m) => m.to.includes("rita@remote.example")));
    expect(mail.from).toBe(ana.email);
    const p = await PostalMime.parse(mail.raw);
    expect(p.subject).toBe("Over the wire");
    expect(p.messageId).toBe(r.messageId);
    expect(p.text).toContain("Hello from Pigeon");
  });
});

describe("undo and send later", () => {
  it("holds a send for the Undo seconds; Undo takes it back into Drafts and nothing is delivered", async () => {
    await updateMailSettings({ userId: ana.userId, update: { undoSeconds: 10 } });
    try {
      const r = await sendMessage(
        ana,
        compose({ to: [{ name: "", address: ben.email }], bcc: [{ name: "", address: cy.email }], subject: "Regret this", html: "<p>oops</p>" }),
      );
      expect(r.undoUntil).not.toBeNull();
      expect(new Date(r.undoUntil!).getTime() - Date.now()).toBeGreaterThan(8000);
      const held = await listScheduled(ana);
      expect(held).toEqual([expect.objectContaining({ id: r.id, subject: "Regret this", undo: true })]);
      expect(await inFolder(ana, "Sent", "Regret this")).toHaveLength(1);

      const draft = await cancelSend(ana, { id: r.id });
      expect(draft).toMatchObject({ subject: "Regret this", messageId: r.messageId, to: [{ address: ben.email }], bcc: [{ address: cy.email }] });
      expect(await listScheduled(ana)).toEqual([]);
      expect(await inFolder(ana, "Sent", "Regret this")).toEqual([]);
      expect(await inFolder(ana, "Drafts", "Regret this")).toHaveLength(1);
      await expect(cancelSend(ana, { id: r.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
      // Someone else cannot cancel it either.
      await sleep(11_000);
      expect(await inFolder(ben, "INBOX", "Regret this")).toEqual([]);
    } finally {
      await updateMailSettings({ userId: ana.userId, update: { undoSeconds: 0 } });
    }
  }, 40_000);

  it("a held send goes once the Undo seconds pass", async () => {
    await updateMailSettings({ userId: ana.userId, update: { undoSeconds: 5 } });
    try {
      const r = await sendMessage(ana, compose({ to: [{ name: "", address: ben.email }], subject: "Goes after five", html: "<p>hi</p>" }));
      expect(await inFolder(ben, "INBOX", "Goes after five")).toEqual([]);
      await expect(cancelSend(ben, { id: r.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
      await waitFor("the mail after the undo window", async () => (await inFolder(ben, "INBOX", "Goes after five")).length > 0, 15_000);
      await expect(cancelSend(ana, { id: r.id })).rejects.toMatchObject({ code: "CONFLICT" });
    } finally {
      await updateMailSettings({ userId: ana.userId, update: { undoSeconds: 0 } });
    }
  }, 30_000);

  it("send later waits on the server, is listed and cancellable from another session, and files its Sent copy when it goes", async () => {
    const at = new Date(Date.now() + 12_000);
    const r = await sendMessage(ana, compose({ to: [{ name: "", address: ben.email }], subject: "Later please", html: "<p>later</p>", sendAt: at.toISOString() }));
    expect(r).toMatchObject({ scheduled: true, undoUntil: null });
    expect(await inFolder(ana, "Sent", "Later please")).toEqual([]);
    const other = await identityOf({ id: ana.userId, email: ana.email });
    expect(await listScheduled(other)).toEqual([expect.objectContaining({ id: r.id, subject: "Later please", undo: false, sendAt: at.toISOString() })]);
    expect(await listScheduled(ben)).toEqual([]);

    const cancelMe = await sendMessage(ana, compose({ to: [{ name: "", address: ben.email }], subject: "Never mind", html: "<p>x</p>", sendAt: at.toISOString() }));
    await cancelSend(other, { id: cancelMe.id });

    await waitFor("the scheduled mail", async () => (await inFolder(ben, "INBOX", "Later please")).length > 0, 25_000);
    expect(await fileDueSentCopies(other)).toBe(1);
    expect(await fileDueSentCopies(ana)).toBe(0);
    const [copy] = await inFolder(ana, "Sent", "Later please");
    expect(copy.flags.has("\\Seen")).toBe(true);
    await sleep(1500);
    expect(await inFolder(ben, "INBOX", "Never mind")).toEqual([]);
    await expect(sendMessage(ana, compose({ to: [{ name: "", address: ben.email }], subject: "past", html: "x", sendAt: new Date(Date.now() - 1000).toISOString() }))).rejects.toMatchObject({ code: "INVALID" });
  }, 40_000);
});

describe("drafts", () => {
  it("saves over IMAP, replaces the previous version, reopens from another session, keeps attachments, and discards", async () => {
    const base = composeSchema.parse({ to: [{ name: "Ben", address: ben.email }], subject: "Draft one", html: "<p>first</p>" });
    const v1 = await saveDraft(ana, base);
    expect(v1.uid).toBeGreaterThan(0);
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256));
    const v2 = await saveDraft(ana, { ...base, uid: v1.uid, messageId: v1.messageId, html: "<p>second</p>" }, [
      { filename: "data.bin", contentType: "application/octet-stream", content: bytes },
    ]);
    expect(v2.attachments).toEqual([expect.objectContaining({ filename: "data.bin", size: 70_000 })]);
    const v3 = await saveDraft(ana, { ...base, uid: v2.uid, messageId: v1.messageId, html: "<p>third</p>", subject: "Draft one, edited", attachments: v2.attachments.map((a) => a.id) });
    const drafts = await withImap(ana, async (c) => {
      const lock = await c.getMailboxLock("Drafts");
      try {
        return await uidsWithMessageId(c, v1.messageId);
      } finally {
        lock.release();
      }
    });
    expect(drafts).toEqual([v3.uid]);

    const elsewhere = await identityOf({ id: ana.userId, email: ana.email });
    const opened = await openDraft(elsewhere, { messageId: v1.messageId });
    expect(opened).toMatchObject({ uid: v3.uid, subject: "Draft one, edited", to: [{ name: "Ben", address: ben.email }], attachments: v2.attachments });
    expect(opened.html).toContain("third");
    const raw = await withImap(ana, (c) => readMessageSource(c, "Drafts", v3.uid!));
    const p = await PostalMime.parse(raw);
    expect(Buffer.from(p.attachments[0].content as ArrayBuffer).equals(bytes)).toBe(true);

    // Sent from the other session: attachment byte for byte, draft gone.
    await sendMessage(elsewhere, compose({ ...opened, attachments: opened.attachments.map((a) => a.id) }));
    const [got] = await waitFor("the draft sent elsewhere in Ben's INBOX", async () => {
      const r = await inFolder(ben, "INBOX", "Draft one, edited");
      return r.length ? r : null;
    });
    const gp = await PostalMime.parse(got.raw);
    expect(Buffer.from(gp.attachments[0].content as ArrayBuffer).equals(bytes)).toBe(true);
    expect(await inFolder(ana, "Drafts", "Draft one")).toEqual([]);

    const d = await saveDraft(ana, composeSchema.parse({ subject: "Throwaway", html: "<p>x</p>" }));
    await discardDraft(ana, { messageId: d.messageId });
    await expect(openDraft(ana, { uid: d.uid! })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(saveDraft(ana, { ...base, attachments: ["0".repeat(24)] })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("refuses a message over MAX_MESSAGE_SIZE", async () => {
    await expect(
      saveDraft(ana, composeSchema.parse({ subject: "big" }), [{ filename: "big.bin", contentType: "application/octet-stream", content: Buffer.alloc(3 * 1024 * 1024) }]),
    ).rejects.toMatchObject({ code: "INVALID", message: expect.stringMatching(/too large/) });
  });
});

describe("contacts", () => {
  it("suggests the people the user writes to and hears from", async () => {
    forgetContacts();
    await deliverMessage({
      raw: Buffer.from(`From: Alma Ruiz <alma@remote.example>\r\nTo: ${ana.email}\r\nSubject: hello\r\nMessage-ID: <alma1@remote.example>\r\n\r\nhi\r\n`),
      targets: [{ userId: ana.userId }],
    });
    const found = await suggestContacts(ana, { q: "al" });
    expect(found.map((c) => c.address)).toContain("alma@remote.example");
    const byName = await suggestContacts(ana, { q: "ruiz" });
    expect(byName[0]).toEqual({ name: "Alma Ruiz", address: "alma@remote.example" });
    // Written to most: Ben ranks first with nothing typed; the user is never suggested.
    const top = await suggestContacts(ana, { q: "" });
    expect(top[0].address).toBe(ben.email);
    expect(top.map((c) => c.address)).not.toContain(ana.email);
  });
});

describe("outgoing HTML", () => {
  it("keeps formatting and web links only", () => {
    const dirty = '<p onclick="x()">Hi <b>there</b><script>alert(1)</script><img src="https://t.example/p.gif"><a href="javascript:alert(1)">bad</a> <a href="https://ok.example/">ok</a><iframe src="https://x.example"></iframe><style>p{}</style></p>';
    expect(sanitizeComposeHtml(dirty)).toBe('<p>Hi <b>there</b><a>bad</a> <a href="https://ok.example/">ok</a></p>');
  });
});

describe("plain text alternative", () => {
  it("keeps paragraphs, lists, quotes and links", () => {
    expect(htmlToPlainText("<p>One</p><p>Two<br>lines</p><ul><li>a</li><li>b</li></ul><ol><li>x</li></ol><blockquote><p>q1</p><blockquote><p>q2</p></blockquote></blockquote>")).toBe(
      "One\n\nTwo\nlines\n\n- a\n- b\n\n1. x\n\n> q1\n>\n> > q2\n",
    );
  });
});
