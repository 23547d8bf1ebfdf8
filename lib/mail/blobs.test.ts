import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../tests/helpers/db.ts";
import { rawMessage, seedUsers } from "../../tests/helpers/fixtures.ts";
import { getPool } from "../db/client.ts";
import { hashMessage, sweepBlobs } from "./blobs.ts";
import { deliverMessage } from "./deliver.ts";
import { expungeMessages } from "./expunge.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const blobExists = async (hash: string) => ((await getPool().query("SELECT 1 FROM blobs WHERE hash = $1", [hash])).rowCount ?? 0) > 0;
const threadExists = async (id: number) => ((await getPool().query("SELECT 1 FROM threads WHERE id = $1", [id])).rowCount ?? 0) > 0;
/** Makes everything so far older than the sweep's grace period. */
const age = () => getPool().query("UPDATE blobs SET created_at = created_at - interval '2 hours'; UPDATE threads SET created_at = created_at - interval '2 hours'");

describe("sweepBlobs", () => {
  it("deletes the bytes, parsed fields and thread of expunged mail, keeps what anyone still refers to", async () => {
    const { users } = await seedUsers(["keep", "drop"]);
    const shared = rawMessage({ subject: "Shared bytes", body: "kangaroo" });
    const alone = rawMessage({ subject: "Only mine", body: "wombat" });
    const queued = rawMessage({ subject: "In the queue", body: "platypus" });
    const both = await deliverMessage({ raw: shared, targets: [{ userId: users.keep.id }, { userId: users.drop.id }] });
    const mine = await deliverMessage({ raw: alone, targets: [{ userId: users.drop.id }] });
    const inQueue = await deliverMessage({ raw: queued, targets: [{ userId: users.drop.id }] });
    await getPool().query(
      `INSERT INTO outbound_messages (user_id, sender, blob_hash, source, expires_at) VALUES ($1, $2, $3, 'submission', now() + interval '1 day')`,
      [users.drop.id, users.drop.email, inQueue.blobHash],
    );
    const dropInbox = mine.stored[0].mailboxId;
    await expungeMessages({ userId: users.drop.id, mailboxId: dropInbox, ignoreDeletedFlag: true });

    // Within the grace period nothing goes.
    expect(await sweepBlobs()).toEqual({ blobs: 0, threads: 0 });
    expect(await blobExists(mine.blobHash)).toBe(true);

    await age();
    const swept = await sweepBlobs();
    expect(swept.blobs).toBe(1);
    expect(swept.threads).toBeGreaterThanOrEqual(2); // "Only mine" and "In the queue" of the user who expunged
    expect(await blobExists(mine.blobHash)).toBe(false); // nobody holds it
    expect(await threadExists(mine.stored[0].threadId)).toBe(false);
    expect(await blobExists(both.blobHash)).toBe(true); // the other user still has it
    expect(await threadExists(both.stored.find((s) => s.userId === users.keep.id)!.threadId)).toBe(true);
    expect(await blobExists(inQueue.blobHash)).toBe(true); // the queue still sends it
    // The text is gone from the full-text index with the row.
    const hits = await getPool().query("SELECT count(*)::int AS n FROM blobs WHERE search_vector @@ to_tsquery('simple', 'wombat')");
    expect(hits.rows[0].n).toBe(0);
    expect(await sweepBlobs()).toEqual({ blobs: 0, threads: 0 });
  });

  it("works through more unreferenced blobs than one batch", async () => {
    const { users } = await seedUsers(["many"]);
    for (let i = 0; i < 25; i++) await deliverMessage({ raw: rawMessage({ subject: `bulk ${i}` }), targets: [{ userId: users.many.id }] });
    const inbox = (await getPool().query("SELECT id FROM mailboxes WHERE user_id = $1 AND name = 'INBOX'", [users.many.id])).rows[0].id;
    await expungeMessages({ userId: users.many.id, mailboxId: inbox, ignoreDeletedFlag: true });
    await age();
    expect(await sweepBlobs({ batch: 10 })).toEqual({ blobs: 25, threads: 25 });
  });

  it("a delivery of bytes being swept waits, then stores them again: the message never points at nothing", async () => {
    const { users } = await seedUsers(["again"]);
    const raw = rawMessage({ subject: "Second coming", body: "echidna" });
    const first = await deliverMessage({ raw, targets: [{ userId: users.again.id }] });
    await expungeMessages({ userId: users.again.id, mailboxId: first.stored[0].mailboxId, ignoreDeletedFlag: true });
    await age();
    // A sweeper half way: the orphan locked and deleted, not yet committed (the steps of sweepBlobs).
    const sweeper = new pg.Client({ connectionString: db.url });
    await sweeper.connect();
    await sweeper.query("BEGIN");
    await sweeper.query("SELECT hash FROM blobs WHERE hash = $1 FOR UPDATE SKIP LOCKED", [hashMessage(raw)]);
    expect((await sweeper.query("DELETE FROM blobs WHERE hash = $1", [hashMessage(raw)])).rowCount).toBe(1);
    let delivered = false;
    const second = deliverMessage({ raw, targets: [{ userId: users.again.id }] }).then((r) => {
      delivered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(delivered).toBe(false); // held by the sweeper's lock
    await sweeper.query("COMMIT");
    await sweeper.end();
    const r = await second;
    expect(r.blobHash).toBe(first.blobHash);
    const stored = await getPool().query(
      "SELECT b.subject, length(b.data) AS n FROM messages m JOIN blobs b ON b.hash = m.blob_hash WHERE m.user_id = $1",
      [users.again.id],
    );
    expect(stored.rows).toEqual([{ subject: "Second coming", n: raw.length }]);
  });

  it("a blob in use by a transaction that has not committed yet is skipped, not deleted", async () => {
    const { users } = await seedUsers(["busy"]);
    const raw = rawMessage({ subject: "Held", body: "quokka" });
    const first = await deliverMessage({ raw, targets: [{ userId: users.busy.id }] });
    await expungeMessages({ userId: users.busy.id, mailboxId: first.stored[0].mailboxId, ignoreDeletedFlag: true });
    await age();
    // Another writer has found the blob and holds it until commit (as storeBlob does on a duplicate).
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    await writer.query("BEGIN");
    await writer.query("SELECT 1 FROM blobs WHERE hash = $1 FOR KEY SHARE", [first.blobHash]);
    const swept = await sweepBlobs();
    expect(swept.blobs).toBe(0);
    expect(await blobExists(first.blobHash)).toBe(true);
    await writer.query("ROLLBACK");
    await writer.end();
    expect((await sweepBlobs()).blobs).toBe(1);
  });
});
