import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../tests/helpers/db.ts";
import { rawMessage, seedUsers } from "../../tests/helpers/fixtures.ts";
import { getPool } from "../db/client.ts";
import { isAppError } from "../errors.ts";
import { parseMessage } from "../mime/parse.ts";
import { deliverMessage } from "./deliver.ts";
import { getMailboxOrThrow } from "./mailboxes.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 50 });
});
afterAll(async () => {
  await db.drop();
});

async function readBack(sql: string, params: unknown[]) {
  // Over a separate connection: what another process sees once the deliveries have answered.
  const check = new pg.Client({ connectionString: db.url });
  await check.connect();
  try {
    return (await check.query(sql, params)).rows;
  } finally {
    await check.end();
  }
}

it("50 concurrent deliveries into one mailbox get 50 gapless UIDs, modseqs rising with them, stored in fewer transactions", async () => {
  const { users } = await seedUsers(["busy"]);
  const userId = users.busy.id;
  const inbox = await getMailboxOrThrow({ userId, name: "INBOX" });
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => deliverMessage({ raw: rawMessage({ subject: `msg ${i}`, body: `body ${i}` }), targets: [{ userId }] })),
  );
  const uids = results.map((r) => r.stored[0].uid).sort((a, b) => a - b);
  expect(uids).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));

  const rows = await readBack("SELECT uid, mod_seq::int AS m FROM messages WHERE mailbox_id = $1 ORDER BY uid", [inbox.id]);
  expect(rows.map((r) => r.uid)).toEqual(uids);
  // Messages stored together share a modseq (RFC 7162 allows it, as for one MULTIAPPEND).
  for (let i = 1; i < rows.length; i++) expect(rows[i].m).toBeGreaterThanOrEqual(rows[i - 1].m);
  const batches = new Set(rows.map((r) => r.m)).size;
  expect(batches).toBeLessThan(50); // group commit: those that waited were stored together
  const after = await getMailboxOrThrow({ userId, name: "INBOX" });
  expect(after.uidNext).toBe(51);
  expect(after.highestModSeq).toBe(rows[rows.length - 1].m);
  // Each caller's answer is its own message.
  for (const [i, r] of results.entries()) {
    const got = await readBack(
      "SELECT b.subject FROM messages m JOIN blobs b ON b.hash = m.blob_hash WHERE m.mailbox_id = $1 AND m.uid = $2",
      [inbox.id, r.stored[0].uid],
    );
    expect(got[0].subject).toBe(`msg ${i}`);
  }
});

it("50 concurrent two-recipient deliveries lock across connections: both mailboxes gapless, modseqs strictly rising", async () => {
  const { users } = await seedUsers(["one", "two"]);
  const ids = [users.one.id, users.two.id];
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      deliverMessage({ raw: rawMessage({ subject: `pair ${i}` }), targets: [{ userId: ids[1] }, { userId: ids[0] }] }),
    ),
  );
  const conns = (await readBack("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [db.name]))[0].n;
  expect(conns).toBeGreaterThan(10); // the deliveries really ran on many connections
  for (const userId of ids) {
    const inbox = await getMailboxOrThrow({ userId, name: "INBOX" });
    const rows = await readBack("SELECT uid, mod_seq::int AS m FROM messages WHERE mailbox_id = $1 ORDER BY uid", [inbox.id]);
    expect(rows.map((r) => r.uid)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (let i = 1; i < rows.length; i++) expect(rows[i].m).toBeGreaterThan(rows[i - 1].m);
  }
});

it("a batch with a message over quota: the others are stored, that one alone is refused, usage is exact", async () => {
  const message = (i: number) => {
    const n = String(i).padStart(2, "0");
    return rawMessage({ subject: `q ${n}`, body: "x".repeat(1000), messageId: `<q${n}@x.test>` });
  };
  const size = message(0).length; // all 20 are this size
  const { users } = await seedUsers(["tight"], { quotaBytes: size * 10 + Math.floor(size / 2) });
  const userId = users.tight.id;
  const outcomes = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) =>
      deliverMessage({ raw: message(i), targets: [{ userId }] }),
    ),
  );
  const ok = outcomes.filter((o) => o.status === "fulfilled");
  const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
  expect(ok).toHaveLength(10);
  expect(refused).toHaveLength(10);
  for (const r of refused) expect(isAppError(r.reason, "OVER_QUOTA")).toBe(true);
  const used = (await getPool().query("SELECT used_bytes::int AS u FROM users WHERE id = $1", [userId])).rows[0].u;
  const stored = (await getPool().query("SELECT count(*)::int AS n, coalesce(sum(size), 0)::int AS s FROM messages WHERE user_id = $1", [userId])).rows[0];
  expect(stored.n).toBe(10);
  expect(used).toBe(stored.s);
});

it("a reply stored in the same transaction as its parent joins the parent's thread", async () => {
  const { users } = await seedUsers(["threads"]);
  const userId = users.threads.id;
  // Parsed beforehand, the 40 deliveries reach the lane in call order, in one go: one batch.
  const raws = Array.from({ length: 20 }, (_, i) => [
    rawMessage({ subject: `Plan ${i}`, messageId: `<plan${i}@x.test>` }),
    rawMessage({ subject: `Re: Plan ${i}`, messageId: `<reply${i}@x.test>`, headers: [`In-Reply-To: <plan${i}@x.test>`, `References: <plan${i}@x.test>`] }),
  ]);
  const parsed = await Promise.all(raws.map((pair) => Promise.all(pair.map((raw) => parseMessage(raw)))));
  const pairs = await Promise.all(
    raws.map((pair, i) => Promise.all(pair.map((raw, k) => deliverMessage({ raw, parsed: parsed[i][k], targets: [{ userId }] })))),
  );
  expect(new Set(pairs.flat().map((r) => r.stored[0].modSeq)).size).toBe(1); // one transaction
  for (const [parent, reply] of pairs) expect(reply.stored[0].threadId).toBe(parent.stored[0].threadId);
  expect(new Set(pairs.map(([parent]) => parent.stored[0].threadId)).size).toBe(20);
  expect(pairs.flat().map((r) => r.stored[0].uid)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1)); // arrival order
});
