import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../tests/helpers/db.ts";
import { rawMessage, seedUsers } from "../../tests/helpers/fixtures.ts";
import { getPool } from "../db/client.ts";
import { appendMessages } from "../mail/append.ts";
import { expungeMessages } from "../mail/expunge.ts";
import { storeFlags } from "../mail/flags.ts";
import { createMailbox } from "../mail/mailboxes.ts";
import { mailboxIndexQuery, readMailboxIndex } from "./store-adapter.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

type PlanNode = { "Node Type"?: string; "Relation Name"?: string; "Index Name"?: string; "Actual Loops"?: number };

/** Every node of a plan (EXPLAIN FORMAT JSON), depth first. */
function nodesOf(plan: unknown): PlanNode[] {
  if (Array.isArray(plan)) return plan.flatMap(nodesOf);
  if (plan === null || typeof plan !== "object") return [];
  return [plan as PlanNode, ...Object.values(plan).flatMap(nodesOf)];
}

describe("readMailboxIndex", () => {
  it("gives the UIDs as a range or a list, and the first unseen UID, from the mailbox's counters", async () => {
    const { users } = await seedUsers(["idx"]);
    const userId = users.idx.id;
    const mailboxId = (await createMailbox({ userId, name: "Index" })).id;
    expect(await readMailboxIndex({ userId, mailboxId })).toMatchObject({ uids: [], firstUnseenUid: null });

    const flags = [["\\Seen"], ["\\Seen"], [], ["\\Seen"], []];
    await appendMessages({ userId, mailboxId, messages: flags.map((f) => ({ raw: rawMessage(), flags: f })) });
    expect(await readMailboxIndex({ userId, mailboxId })).toMatchObject({ uids: { from: 1, to: 5 }, firstUnseenUid: 3 });
    expect((await readMailboxIndex({ userId, mailboxId, firstUnseen: false }))?.firstUnseenUid).toBeNull();

    await storeFlags({ userId, mailboxId, uids: [3], operation: "add", flags: ["\\Seen"] });
    expect((await readMailboxIndex({ userId, mailboxId }))?.firstUnseenUid).toBe(5);
    await expungeMessages({ userId, mailboxId, uids: [1], ignoreDeletedFlag: true });
    expect(await readMailboxIndex({ userId, mailboxId })).toMatchObject({ uids: { from: 2, to: 5 }, firstUnseenUid: 5 });
    await expungeMessages({ userId, mailboxId, uids: [4], ignoreDeletedFlag: true });
    expect(await readMailboxIndex({ userId, mailboxId })).toMatchObject({ uids: [2, 3, 5], firstUnseenUid: 5 });
    await storeFlags({ userId, mailboxId, uids: [5], operation: "add", flags: ["\\Seen"] });
    expect((await readMailboxIndex({ userId, mailboxId }))?.firstUnseenUid).toBeNull();
    expect(await readMailboxIndex({ userId: userId + 1000, mailboxId })).toBeNull();
  });

  it("finds the first unseen message through the partial index messages_unseen_idx, and the UID range through the UID index", async () => {
    const { users } = await seedUsers(["big"]);
    const userId = users.big.id;
    const mailboxId = (await createMailbox({ userId, name: "Big" })).id;
    await appendMessages({ userId, mailboxId, messages: [{ raw: rawMessage() }] });
    // 20,000 more rows like the first, nearly all \Seen: the case where a scan of the mailbox for
    // the first unseen message walks almost all of it.
    await getPool().query(
      `INSERT INTO messages (user_id, mailbox_id, uid, mod_seq, blob_hash, thread_id, message_id, flags, internal_date, size)
       SELECT user_id, mailbox_id, uid + g, mod_seq, blob_hash, thread_id, message_id,
         CASE WHEN g % 1000 = 0 THEN '{}' ELSE ARRAY['\\Seen'] END, internal_date, size
       FROM messages, generate_series(1, 20000) g WHERE mailbox_id = $1`,
      [mailboxId],
    );
    await getPool().query("UPDATE messages SET flags = ARRAY['\\Seen'] WHERE mailbox_id = $1 AND uid = 1", [mailboxId]);
    await getPool().query("ANALYZE messages");

    // Scans of messages that ran (the list of UIDs, not needed here, may well plan a Seq Scan).
    const plan = await getPool().query(`EXPLAIN (ANALYZE, FORMAT JSON) ${mailboxIndexQuery(true)}`, [mailboxId, userId]);
    const scans = nodesOf(plan.rows[0]["QUERY PLAN"]).filter((n) => n["Relation Name"] === "messages" && n["Actual Loops"]! > 0);
    expect(scans.map((n) => n["Index Name"]).sort()).toEqual(["messages_mailbox_id_uid_key", "messages_mailbox_id_uid_key", "messages_unseen_idx"]);
    expect(scans.every((n) => n["Node Type"]!.startsWith("Index"))).toBe(true);
    expect(await readMailboxIndex({ userId, mailboxId })).toMatchObject({ uids: { from: 1, to: 20001 }, firstUnseenUid: 1001 });
  });
});
