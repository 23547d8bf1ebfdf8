import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, revokeSession } from "../../lib/auth/sessions.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { applyMessageAction } from "../../lib/imap-client/actions.ts";
import { listConversations, listStarred, type ConversationRow } from "../../lib/imap-client/conversations.ts";
import { createMailbox, deleteMailbox, listMailboxes, renameMailbox } from "../../lib/imap-client/mailboxes.ts";
import { withImap, type ImapIdentity } from "../../lib/imap-client/pool.ts";
import { watchMailbox, type MailboxChange } from "../../lib/imap-client/watch.ts";
import { openConversation } from "../../lib/web/mail/conversation.ts";
import { rawMessage, seedUsers } from "../helpers/fixtures.ts";
import { startMailStack, type MailStack } from "./mail-stack.ts";

// lib/imap-client and lib/web/mail against Pigeon's real IMAP server, over TLS with the web's
// session tokens: folders, conversation pages and cursors, threads across folders, actions,
// the Starred view, and IDLE-fed changes.

let stack: MailStack;

beforeAll(async () => {
  stack = await startMailStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function newAccount(name: string): Promise<ImapIdentity> {
  const { users } = await seedUsers([name]);
  const u = users[name];
  const session = await createSession({ userId: u.id });
  return { sessionId: session.id, userId: u.id, email: u.email };
}

let seq = 0;
function message(opts: { subject: string; from?: string; id?: string; replyTo?: string; body?: string }) {
  const id = opts.id ?? `<m${++seq}-${Math.random().toString(36).slice(2)}@remote.example>`;
  return rawMessage({
    subject: opts.subject,
    from: opts.from,
    messageId: id,
    body: opts.body,
    headers: opts.replyTo ? [`In-Reply-To: ${opts.replyTo}`, `References: ${opts.replyTo}`] : [],
  });
}

describe("folders", () => {
  it("lists the folders with roles and counts, and creates, renames and deletes the user's own", async () => {
    const me = await newAccount("folders");
    await deliverMessage({ raw: message({ subject: "one" }), targets: [{ userId: me.userId }] });
    await deliverMessage({ raw: message({ subject: "two" }), targets: [{ userId: me.userId }] });
    const list = await withImap(me, (c) => listMailboxes(c));
    expect(list.map((m) => m.role)).toEqual(["inbox", "sent", "drafts", "archive", "junk", "trash"]);
    expect(list[0]).toMatchObject({ path: "INBOX", name: "Inbox", messages: 2, unseen: 2 });

    const made = await withImap(me, (c) => createMailbox(c, { name: "Projects" }));
    expect(made).toMatchObject({ path: "Projects", role: null, messages: 0 });
    await expect(withImap(me, (c) => createMailbox(c, { name: "Projects" }))).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    const child = await withImap(me, (c) => createMailbox(c, { name: "Ünïcødé", parent: "Projects" }));
    expect(child.path).toBe("Projects/Ünïcødé");
    const renamed = await withImap(me, (c) => renameMailbox(c, { path: "Projects", newName: "Work" }));
    expect(renamed.path).toBe("Work");
    await expect(withImap(me, (c) => renameMailbox(c, { path: "Sent", newName: "Elsewhere" }))).rejects.toMatchObject({ code: "FORBIDDEN" });
    await withImap(me, (c) => deleteMailbox(c, { path: "Work/Ünïcødé" }));
    const after = (await withImap(me, (c) => listMailboxes(c))).map((m) => m.path);
    expect(after).toContain("Work");
    expect(after).not.toContain("Work/Ünïcødé");
    await expect(withImap(me, (c) => deleteMailbox(c, { path: "INBOX" }))).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("conversation pages", () => {
  it("pages through a folder by cursor, one row per thread, without repeating a thread", async () => {
    const me = await newAccount("pager");
    // 30 threads; every third gets a reply later on, so its head is newer than its start.
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = `<start-${i}@remote.example>`;
      ids.push(id);
      await deliverMessage({ raw: message({ subject: `Topic ${i}`, id, from: `Person ${i} <p${i}@remote.example>` }), targets: [{ userId: me.userId }] });
    }
    for (let i = 0; i < 30; i += 3) {
      await deliverMessage({ raw: message({ subject: `Re: Topic ${i}`, replyTo: ids[i], from: "Replier <r@remote.example>" }), targets: [{ userId: me.userId }] });
    }
    const rows: ConversationRow[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await withImap(me, (c) => listConversations(c, { mailbox: "INBOX", cursor, limit: 7 }));
      expect(page.total).toBe(40);
      rows.push(...page.rows);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(rows).toHaveLength(30);
    // Newest first: the replied threads (replies came last) lead, newest reply first.
    expect(rows[0]).toMatchObject({ subject: "Re: Topic 27", count: 2, unread: true });
    expect(rows[0].senders.map((s) => s.address)).toEqual(["p27@remote.example", "r@remote.example"]);
    const t5 = rows.find((r) => r.subject === "Topic 5")!;
    expect(t5).toMatchObject({ count: 1, snippet: "Hello Alice, this is a test." });
    expect(t5.refs).toEqual([{ mailbox: "INBOX", uid: 6, seen: false, flagged: false }]);
  });

  it("keeps paging right when messages above the cursor are expunged", async () => {
    const me = await newAccount("expunger");
    for (let i = 0; i < 12; i++) await deliverMessage({ raw: message({ subject: `N${i}` }), targets: [{ userId: me.userId }] });
    const first = await withImap(me, (c) => listConversations(c, { mailbox: "INBOX", limit: 5 }));
    expect(first.rows.map((r) => r.subject)).toEqual(["N11", "N10", "N9", "N8", "N7"]);
    // Another client removes four messages the reader has already seen (and so shifts sequence numbers).
    await withImap(me, (c) => applyMessageAction(c, { action: "archive", targets: [{ mailbox: "INBOX", uids: [9, 10, 11, 12] }] }));
    const second = await withImap(me, (c) => listConversations(c, { mailbox: "INBOX", cursor: first.nextCursor, limit: 5 }));
    expect(second.rows.map((r) => r.subject)).toEqual(["N6", "N5", "N4", "N3", "N2"]);
    const third = await withImap(me, (c) => listConversations(c, { mailbox: "INBOX", cursor: second.nextCursor, limit: 5 }));
    expect(third.rows.map((r) => r.subject)).toEqual(["N1", "N0"]);
    expect(third.nextCursor).toBeNull();
  });

  it("sees mail that arrived since the pooled connection last looked (NOOP before reuse)", async () => {
    const me = await newAccount("reuser");
    const root = "<reuse-root@remote.example>";
    await deliverMessage({ raw: message({ subject: "Before", id: root }), targets: [{ userId: me.userId }] });
    const before = await withImap(me, (c) => listConversations(c, { mailbox: "INBOX" }));
    expect(before.rows.map((r) => r.subject)).toEqual(["Before"]);
    await deliverMessage({ raw: message({ subject: "Re: Before", replyTo: root }), targets: [{ userId: me.userId }] });
    await deliverMessage({ raw: message({ subject: "After" }), targets: [{ userId: me.userId }] });
    const after = await withImap(me, (c) => listConversations(c, { mailbox: "INBOX" }));
    expect(after.rows.map((r) => [r.subject, r.count])).toEqual([
      ["After", 1],
      ["Re: Before", 2],
    ]);
    expect((await openConversation(me, { id: after.rows[1].id, mailbox: "INBOX" })).messages).toHaveLength(2);
    await withImap(me, (c) => applyMessageAction(c, { action: "archive", targets: [{ mailbox: "INBOX", uids: after.rows[0].refs.map((r) => r.uid) }] }));
    expect((await withImap(me, (c) => listConversations(c, { mailbox: "Archive" }))).rows.map((r) => r.subject)).toEqual(["After"]);
  });

  it("fills a page from further windows when the first one's threads were all shown before", async () => {
    const me = await newAccount("sparse");
    // Ten threads, each answered 6 times later: the deeper windows hold only their older messages.
    const roots: string[] = [];
    for (let i = 0; i < 10; i++) {
      roots.push(`<sparse-${i}@remote.example>`);
      await deliverMessage({ raw: message({ subject: `Thread ${i}`, id: roots[i] }), targets: [{ userId: me.userId }] });
    }
    for (let k = 0; k < 6; k++) for (let i = 0; i < 10; i++) await deliverMessage({ raw: message({ subject: `Re: Thread ${i}`, replyTo: roots[i] }), targets: [{ userId: me.userId }] });
    const first = await withImap(me, (c) => listConversations(c, { mailbox: "INBOX", limit: 10 }));
    expect(first.rows).toHaveLength(10);
    expect(first.rows.every((r) => r.count === 7)).toBe(true);
    const second = await withImap(me, (c) => listConversations(c, { mailbox: "INBOX", limit: 10, cursor: first.nextCursor }));
    expect(second.rows).toHaveLength(0);
  });

  it("searches a folder (full text) and pages the results", async () => {
    const me = await newAccount("searcher");
    for (let i = 0; i < 6; i++) {
      await deliverMessage({ raw: message({ subject: `S${i}`, body: i % 2 ? "the zebra crossing" : "nothing here" }), targets: [{ userId: me.userId }] });
    }
    const page = await withImap(me, (c) => listConversations(c, { mailbox: "INBOX", query: "zebra", limit: 2 }));
    expect(page.total).toBe(3);
    expect(page.rows.map((r) => r.subject)).toEqual(["S5", "S3"]);
    const next = await withImap(me, (c) => listConversations(c, { mailbox: "INBOX", query: "zebra", cursor: page.nextCursor, limit: 2 }));
    expect(next.rows.map((r) => r.subject)).toEqual(["S1"]);
  });
});

describe("conversations", () => {
  it("gathers a thread from every folder but Trash and Junk, and acts on it", async () => {
    const me = await newAccount("threader");
    const root = "<root-thread@remote.example>";
    await deliverMessage({ raw: message({ subject: "Plans", id: root, body: "Shall we meet?" }), targets: [{ userId: me.userId }] });
    await deliverMessage({ raw: message({ subject: "Re: Plans", replyTo: root, from: me.email }), targets: [{ userId: me.userId, mailbox: "Sent", flags: ["\\Seen"] }] });
    await deliverMessage({ raw: message({ subject: "Re: Plans", replyTo: root, body: "in the trash" }), targets: [{ userId: me.userId, mailbox: "Trash" }] });
    const page = await withImap(me, (c) => listConversations(c, { mailbox: "INBOX" }));
    const row = page.rows[0];
    expect(row.threadId).toMatch(/^T/);
    const conv = await openConversation(me, { id: row.id, mailbox: "INBOX" });
    expect(conv.subject).toBe("Plans");
    expect(conv.messages.map((m) => m.mailbox)).toEqual(["INBOX", "Sent"]);
    expect(conv.messages[0].body).toEqual({ kind: "text", text: "Shall we meet?\r\n" });

    // Opened from Trash, the trashed message is part of it.
    const fromTrash = await openConversation(me, { id: row.id, mailbox: "Trash" });
    expect(fromTrash.messages.map((m) => m.mailbox).sort()).toEqual(["INBOX", "Sent", "Trash"]);

    await withImap(me, (c) => applyMessageAction(c, { action: "star", targets: [{ mailbox: "INBOX", uids: [row.latestUid] }] }));
    const starred = await withImap(me, (c) => listStarred(c, {}));
    expect(starred.rows.map((r) => r.id)).toEqual([row.id]);
    await withImap(me, (c) => applyMessageAction(c, { action: "archive", targets: row.refs.map((r) => ({ mailbox: r.mailbox, uids: [r.uid] })) }));
    expect((await withImap(me, (c) => listConversations(c, { mailbox: "INBOX" }))).rows).toHaveLength(0);
    const archived = await withImap(me, (c) => listConversations(c, { mailbox: "Archive" }));
    expect(archived.rows[0]).toMatchObject({ id: row.id, starred: true });
    // Still one conversation with the reply in Sent, opened from Archive.
    expect((await openConversation(me, { id: row.id, mailbox: "Archive" })).messages.map((m) => m.mailbox)).toEqual(["Archive", "Sent"]);
    // Trash, then delete for good from Trash.
    await withImap(me, (c) => applyMessageAction(c, { action: "trash", targets: [{ mailbox: "Archive", uids: archived.rows[0].refs.map((r) => r.uid) }] }));
    const trash = await withImap(me, (c) => listConversations(c, { mailbox: "Trash" }));
    expect(trash.rows[0].count).toBe(2);
    await withImap(me, (c) => applyMessageAction(c, { action: "delete", targets: [{ mailbox: "Trash", uids: trash.rows[0].refs.map((r) => r.uid) }] }));
    expect((await withImap(me, (c) => listConversations(c, { mailbox: "Trash" }))).rows).toHaveLength(0);
  });

  it("reads HTML bodies sanitized, with cid: images inline and attachments listed", async () => {
    const me = await newAccount("htmlreader");
    const raw = Buffer.from(
      [
        "From: Newsletter <news@remote.example>",
        `To: ${me.email}`,
        "Subject: Rich",
        "Message-ID: <rich@remote.example>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="mix"',
        "",
        "--mix",
        'Content-Type: multipart/related; boundary="rel"',
        "",
        "--rel",
        'Content-Type: multipart/alternative; boundary="alt"',
        "",
        "--alt",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "plain version",
        "--alt",
        "Content-Type: text/html; charset=iso-8859-1",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        '<p onclick=3D"alert(1)">Caf=E9 <img src=3D"cid:logo@x"> <img src=3D"https://tracker.example/p.gif"></p><script>alert(1)</script>',
        "--alt--",
        "--rel",
        "Content-Type: image/png",
        "Content-ID: <logo@x>",
        "Content-Transfer-Encoding: base64",
        "",
        Buffer.from("\x89PNG fake").toString("base64"),
        "--rel--",
        "--mix",
        'Content-Type: image/svg+xml; name="evil.svg"',
        'Content-Disposition: attachment; filename="evil.svg"',
        "",
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "--mix--",
        "",
      ].join("\r\n"),
    );
    await deliverMessage({ raw, targets: [{ userId: me.userId }] });
    const page = await withImap(me, (c) => listConversations(c, { mailbox: "INBOX" }));
    expect(page.rows[0]).toMatchObject({ hasAttachments: true, snippet: "plain version" });
    const conv = await openConversation(me, { id: page.rows[0].id, mailbox: "INBOX" });
    const m = conv.messages[0];
    expect(m.attachments).toEqual([{ part: "2", filename: "evil.svg", mimeType: "image/svg+xml", size: expect.any(Number) }]);
    expect(m.body.kind).toBe("html");
    if (m.body.kind !== "html") return;
    expect(m.body.remoteBlocked).toBe(1);
    expect(m.body.srcdoc).toContain("Café");
    expect(m.body.srcdoc).toContain(`src="data:image/png;base64,${Buffer.from("\x89PNG fake").toString("base64")}"`);
    expect(m.body.srcdoc).not.toMatch(/onclick|<script|tracker\.example/);
    expect(m.body.srcdoc).toContain("default-src 'none'; img-src data:;");
  });
});

describe("live changes", () => {
  it("reports a delivery and a flag change made elsewhere while idling", async () => {
    const me = await newAccount("watcher");
    const changes: MailboxChange[] = [];
    const watch = await watchMailbox(me, "INBOX", (c) => changes.push(c));
    try {
      const started = Date.now();
      const delivered = await deliverMessage({ raw: message({ subject: "live" }), targets: [{ userId: me.userId }] });
      await expect.poll(() => changes.find((c) => c.kind === "exists"), { timeout: 2000 }).toBeTruthy();
      expect(Date.now() - started).toBeLessThan(2000);
      await withImap(me, (c) => applyMessageAction(c, { action: "star", targets: [{ mailbox: "INBOX", uids: [delivered.stored[0].uid] }] }));
      await expect.poll(() => changes.find((c) => c.kind === "flags"), { timeout: 2000 }).toMatchObject({ kind: "flags", flagged: true });
    } finally {
      await watch.stop();
    }
    await expect(watch.done).resolves.toBeNull();
  });

  it("refuses a revoked session: 401 for requests", async () => {
    const me = await newAccount("revoked");
    await withImap(me, (c) => listMailboxes(c));
    await revokeSession({ userId: me.userId, sessionId: me.sessionId });
    // The open connection keeps working until the server's next session check; a new one is refused.
    await expect(withImap(me, (c) => listMailboxes(c), { lane: "aux" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
