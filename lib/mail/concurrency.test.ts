import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../tests/helpers/db.ts";
import { rawMessage, seedUsers } from "../../tests/helpers/fixtures.ts";
import { deliverMessage } from "./deliver.ts";
import { getMailboxOrThrow } from "./mailboxes.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 50 });
});
afterAll(async () => {
  await db.drop();
});

it("50 concurrent deliveries into one mailbox get 50 gapless, strictly increasing UIDs and modseqs", async () => {
  const { users } = await seedUsers(["busy"]);
  const userId = users.busy.id;
  const inbox = await getMailboxOrThrow({ userId, name: "INBOX" });
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => deliverMessage({ raw: rawMessage({ subject: `msg ${i}`, body: `body ${i}` }), targets: [{ userId }] })),
  );
  const uids = results.map((r) => r.stored[0].uid).sort((a, b) => a - b);
  expect(uids).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));

  // Read back over a separate connection: in UID order, modseqs strictly increase.
  const check = new pg.Client({ connectionString: db.url });
  await check.connect();
  const rows = (await check.query("SELECT uid, mod_seq::int AS m FROM messages WHERE mailbox_id = $1 ORDER BY uid", [inbox.id])).rows;
  const conns = (await check.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [db.name])).rows[0].n;
  await check.end();
  expect(rows.map((r) => r.uid)).toEqual(uids);
  for (let i = 1; i < rows.length; i++) expect(rows[i].m).toBeGreaterThan(rows[i - 1].m);
  expect(conns).toBeGreaterThan(10); // the deliveries really ran on many connections
  const after = await getMailboxOrThrow({ userId, name: "INBOX" });
  expect(after.uidNext).toBe(51);
  expect(after.highestModSeq).toBe(rows[rows.length - 1].m);
});
