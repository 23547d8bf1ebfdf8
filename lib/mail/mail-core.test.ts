import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../tests/helpers/db.ts";
import { rawMessage, seedUsers } from "../../tests/helpers/fixtures.ts";
import { getPool } from "../db/client.ts";
import { isAppError } from "../errors.ts";
import { appendMessage } from "./append.ts";
import { copyMessages, moveMessages } from "./copy.ts";
import { deliverMessage } from "./deliver.ts";
import { subscribeMailEvents, type MailEvent } from "./events.ts";
import { expungeMessages } from "./expunge.ts";
import { storeFlags } from "./flags.ts";
import { createMailbox, deleteMailbox, getMailboxOrThrow, listMailboxes, renameMailbox } from "./mailboxes.ts";
import { getQuota, listExpungedSince, listMessages } from "./messages.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe("mailboxes", () => {
  it("creates the default mailboxes with SPECIAL-USE roles", async () => {
    const { users } = await seedUsers(["alice"]);
    const boxes = await listMailboxes({ userId: users.alice.id });
    expect(boxes.map((b) => [b.name, b.specialUse])).toEqual([
      ["INBOX", null],
      ["Archive", "\\Archive"],
      ["Drafts", "\\Drafts"],
      ["Junk", "\\Junk"],
      ["Sent", "\\Sent"],
      ["Trash", "\\Trash"],
    ]);
    expect(new Set(boxes.map((b) => b.uidValidity)).size).toBe(6);
  });

  it("creates, renames (with children) and deletes folders", async () => {
    const { users } = await seedUsers(["bob"]);
    const userId = users.bob.id;
    await createMailbox({ userId, name: "Work/Projects" });
    expect((await listMailboxes({ userId })).map((b) => b.name)).toContain("Work");
    await expect(createMailbox({ userId, name: "Work" })).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    await renameMailbox({ userId, from: "Work", to: "Jobs" });
    const names = (await listMailboxes({ userId })).map((b) => b.name);
    expect(names).toContain("Jobs/Projects");
    expect(names).not.toContain("Work");
    await expect(deleteMailbox({ userId, name: "inbox" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await deleteMailbox({ userId, name: "Jobs/Projects" });
    expect((await listMailboxes({ userId })).map((b) => b.name)).not.toContain("Jobs/Projects");
    await expect(createMailbox({ userId, name: "bad\x01name" })).rejects.toMatchObject({ code: "INVALID" });
  });
});

describe("deliver", () => {
  it("stores one blob for several recipients and assigns UIDs and modseqs", async () => {
    const { users } = await seedUsers(["a", "b"]);
    const raw = rawMessage({ subject: "Shared" });
    const r = await deliverMessage({ raw, targets: [{ userId: users.a.id }, { userId: users.b.id }, { userId: users.a.id }] });
    expect(r.stored).toHaveLength(2);
    expect(r.stored.every((s) => s.uid === 1)).toBe(true);
    const blobs = await getPool().query("SELECT count(*)::int AS n FROM blobs WHERE hash = $1", [r.blobHash]);
    expect(blobs.rows[0].n).toBe(1);
    const inbox = await getMailboxOrThrow({ userId: users.a.id, name: "INBOX" });
    expect(inbox.uidNext).toBe(2);
    expect(inbox.messages).toBe(1);
    expect(inbox.unseen).toBe(1);
    expect((await getQuota({ userId: users.a.id })).usedBytes).toBe(raw.length);
    const search = await getPool().query(
      "SELECT count(*)::int AS n FROM blobs WHERE hash = $1 AND search_vector @@ plainto_tsquery('simple', 'test')",
      [r.blobHash],
    );
    expect(search.rows[0].n).toBe(1);
  });

  it("delivers to Junk by SPECIAL-USE and threads replies together", async () => {
    const { users } = await seedUsers(["t"]);
    const userId = users.t.id;
    const first = await deliverMessage({ raw: rawMessage({ messageId: "<root@x>" }), targets: [{ userId }] });
    const reply = await deliverMessage({
      raw: rawMessage({ messageId: "<reply@x>", headers: ["In-Reply-To: <root@x>", "References: <root@x>"] }),
      targets: [{ userId, mailbox: "\\Junk" }],
    });
    const other = await deliverMessage({ raw: rawMessage({ messageId: "<other@x>" }), targets: [{ userId }] });
    expect(reply.stored[0].threadId).toBe(first.stored[0].threadId);
    expect(other.stored[0].threadId).not.toBe(first.stored[0].threadId);
    const junk = await getMailboxOrThrow({ userId, name: "Junk" });
    expect(reply.stored[0].mailboxId).toBe(junk.id);
  });

  it("refuses a delivery past quota and writes nothing for anyone", async () => {
    const { users } = await seedUsers(["ok"]);
    const { users: small } = await seedUsers(["full"], { quotaBytes: 100 });
    const before = await getPool().query("SELECT count(*)::int AS n FROM messages");
    const err = await deliverMessage({
      raw: rawMessage({ body: "x".repeat(500) }),
      targets: [{ userId: users.ok.id }, { userId: small.full.id }],
    }).catch((e) => e);
    expect(isAppError(err, "OVER_QUOTA")).toBe(true);
    const after = await getPool().query("SELECT count(*)::int AS n FROM messages");
    expect(after.rows[0].n).toBe(before.rows[0].n);
    expect((await getQuota({ userId: users.ok.id })).usedBytes).toBe(0);
    expect((await getMailboxOrThrow({ userId: users.ok.id, name: "INBOX" })).uidNext).toBe(1);
  });

  it("publishes an event after commit", async () => {
    const { users } = await seedUsers(["ev"]);
    const events: MailEvent[] = [];
    const stop = await subscribeMailEvents((e) => {
      if (e.userId === users.ev.id) events.push(e);
    });
    try {
      const r = await deliverMessage({ raw: rawMessage(), targets: [{ userId: users.ev.id }] });
      for (let i = 0; i < 50 && events.length === 0; i++) await new Promise((res) => setTimeout(res, 20));
      expect(events).toEqual([{ userId: users.ev.id, mailboxId: r.stored[0].mailboxId, modSeq: r.stored[0].modSeq, kind: "append" }]);
    } finally {
      await stop();
    }
  });
});

describe("flags, copy, move, expunge", () => {
  it("follows RFC 3501/7162 semantics", async () => {
    const { users } = await seedUsers(["f"]);
    const userId = users.f.id;
    const inbox = await getMailboxOrThrow({ userId, name: "INBOX" });
    const archive = await getMailboxOrThrow({ userId, name: "Archive" });
    const a1 = await appendMessage({ userId, mailboxId: inbox.id, raw: rawMessage({ subject: "one" }), flags: ["\\Seen"], internalDate: new Date("2026-01-01T00:00:00Z") });
    const a2 = await appendMessage({ userId, mailboxId: inbox.id, raw: rawMessage({ subject: "two" }) });
    const a3 = await appendMessage({ userId, mailboxId: inbox.id, raw: rawMessage({ subject: "three" }) });
    expect([a1.uids, a2.uids, a3.uids]).toEqual([[1], [2], [3]]);
    expect(a1.uidValidity).toBe(inbox.uidValidity);
    const listed = await listMessages({ userId, mailboxId: inbox.id });
    expect(listed[0].internalDate.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(listed[0].flags).toEqual(["\\Seen"]);

    const s1 = await storeFlags({ userId, mailboxId: inbox.id, uids: [1, 2], operation: "add", flags: ["\\seen", "$Important"] });
    expect(s1.changed.map((c) => [c.uid, c.flags])).toEqual([
      [1, ["\\Seen", "$Important"]],
      [2, ["\\seen", "$Important"]],
    ]);
    const again = await storeFlags({ userId, mailboxId: inbox.id, uids: [1, 2], operation: "add", flags: ["\\Seen"] });
    expect(again).toEqual({ changed: [], modified: [], modSeq: null });
    const afterNoop = await getMailboxOrThrow({ userId, name: "INBOX" });
    expect(afterNoop.highestModSeq).toBe(s1.modSeq);
    // UNCHANGEDSINCE: message 1 changed at s1.modSeq, so a store conditioned on an older modseq fails for it.
    const cond = await storeFlags({ userId, mailboxId: inbox.id, uids: [1, 3], operation: "add", flags: ["\\Flagged"], unchangedSince: a3.modSeq });
    expect(cond.modified).toEqual([1]);
    expect(cond.changed.map((c) => c.uid)).toEqual([3]);
    const changedSince = await listMessages({ userId, mailboxId: inbox.id, changedSince: s1.modSeq! });
    expect(changedSince.map((m) => m.uid)).toEqual([3]);

    const copy = await copyMessages({ userId, fromMailboxId: inbox.id, uids: [2, 3], toMailboxId: archive.id });
    expect(copy.mapping).toEqual([
      [2, 1],
      [3, 2],
    ]);
    const usageAfterCopy = (await getQuota({ userId })).usedBytes;
    const move = await moveMessages({ userId, fromMailboxId: archive.id, uids: [1], toMailboxId: inbox.id });
    expect(move.mapping).toEqual([[1, 4]]);
    expect(move.expunged).toEqual([1]);
    expect((await getQuota({ userId })).usedBytes).toBe(usageAfterCopy);
    expect(await listExpungedSince({ userId, mailboxId: archive.id, sinceModSeq: copy.modSeq! })).toEqual([1]);

    await storeFlags({ userId, mailboxId: inbox.id, uids: [1, 4], operation: "add", flags: ["\\Deleted"] });
    const before = await getMailboxOrThrow({ userId, name: "INBOX" });
    const onlyOne = await expungeMessages({ userId, mailboxId: inbox.id, uids: [4] });
    expect(onlyOne.uids).toEqual([4]);
    const ex = await expungeMessages({ userId, mailboxId: inbox.id });
    expect(ex.uids).toEqual([1]);
    expect(ex.modSeq!).toBeGreaterThan(before.highestModSeq);
    expect((await listMessages({ userId, mailboxId: inbox.id })).map((m) => m.uid)).toEqual([2, 3]);
    expect(await listExpungedSince({ userId, mailboxId: inbox.id, sinceModSeq: before.highestModSeq })).toEqual([1, 4]);
    // UIDs are never reused after expunge.
    const a5 = await appendMessage({ userId, mailboxId: inbox.id, raw: rawMessage() });
    expect(a5.uids).toEqual([5]);
  });

  it("never touches another user's mailbox", async () => {
    const { users } = await seedUsers(["x", "y"]);
    const yInbox = await getMailboxOrThrow({ userId: users.y.id, name: "INBOX" });
    await expect(appendMessage({ userId: users.x.id, mailboxId: yInbox.id, raw: rawMessage() })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await deliverMessage({ raw: rawMessage(), targets: [{ userId: users.y.id }] });
    expect(await listMessages({ userId: users.x.id, mailboxId: yInbox.id })).toEqual([]);
    const xInbox = await getMailboxOrThrow({ userId: users.x.id, name: "INBOX" });
    const copy = await copyMessages({ userId: users.x.id, fromMailboxId: yInbox.id, uids: [1], toMailboxId: xInbox.id });
    expect(copy.mapping).toEqual([]);
    await expect(storeFlags({ userId: users.x.id, mailboxId: yInbox.id, uids: [1], operation: "add", flags: ["\\Seen"] })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("mailbox keyword list", () => {
  it("remembers every flag used, once, case-insensitively, through append, store and copy", async () => {
    const { users } = await seedUsers(["k"]);
    const userId = users.k.id;
    const inbox = await getMailboxOrThrow({ userId, name: "INBOX" });
    const archive = await getMailboxOrThrow({ userId, name: "Archive" });
    await appendMessage({ userId, mailboxId: inbox.id, raw: rawMessage(), flags: ["\\Seen", "$Work"] });
    await storeFlags({ userId, mailboxId: inbox.id, uids: [1], operation: "add", flags: ["$work", "$Later"] });
    await storeFlags({ userId, mailboxId: inbox.id, uids: [1], operation: "remove", flags: ["$Later"] });
    await copyMessages({ userId, fromMailboxId: inbox.id, uids: [1], toMailboxId: archive.id });
    const rows = (await getPool().query("SELECT name, keywords FROM mailboxes WHERE user_id = $1 AND name IN ('INBOX', 'Archive') ORDER BY name", [userId])).rows;
    expect(rows.map((r) => [r.name, [...r.keywords].sort()])).toEqual([
      ["Archive", ["$Work", "\\Seen"]],
      ["INBOX", ["$Later", "$Work", "\\Seen"]],
    ]);
  });
});
