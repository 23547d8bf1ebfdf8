import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../tests/helpers/db.ts";
import { rawMessage, seedUsers } from "../../tests/helpers/fixtures.ts";
import { removeUser } from "../accounts/users.ts";
import { getPool } from "../db/client.ts";
import { listMigrations, migrate } from "../db/migrate.ts";
import { isAppError } from "../errors.ts";
import { appendMessages } from "./append.ts";
import { copyMessages, moveMessages } from "./copy.ts";
import { deliverMessage } from "./deliver.ts";
import { expungeMessages } from "./expunge.ts";
import { storeFlags, type FlagOperation } from "./flags.ts";
import { createMailbox, deleteMailbox, listMailboxes } from "./mailboxes.ts";
import { getQuota } from "./messages.ts";

// The mailbox counters (message_count, unseen_count, total_size) kept by the triggers of
// migration 20261129100000, checked against a recount from messages after every change the mail
// core makes, and the migration's backfill of existing mailboxes.

const COUNTERS_MIGRATION = "20261129100000_mailbox_counters";

type Queryable = { query(text: string, values?: unknown[]): Promise<pg.QueryResult> };

/** Every mailbox's (or one user's) counters beside a recount from messages, with the same "unseen" predicate. */
async function counters(q: Queryable, userId?: number) {
  const r = await q.query(
    `SELECT b.id, b.message_count AS messages, b.unseen_count AS unseen, b.total_size::bigint AS size,
       count(m.id)::int AS recount_messages,
       count(m.id) FILTER (WHERE NOT ('\\Seen' = ANY(m.flags)))::int AS recount_unseen,
       coalesce(sum(m.size), 0)::bigint AS recount_size
     FROM mailboxes b LEFT JOIN messages m ON m.mailbox_id = b.id
     WHERE $1::int IS NULL OR b.user_id = $1 GROUP BY b.id ORDER BY b.id`,
    [userId ?? null],
  );
  return {
    stored: r.rows.map((x) => ({ id: x.id, messages: x.messages, unseen: x.unseen, size: Number(x.size) })),
    recounted: r.rows.map((x) => ({ id: x.id, messages: x.recount_messages, unseen: x.recount_unseen, size: Number(x.recount_size) })),
  };
}

async function expectCountersRight(q: Queryable, step: string) {
  const { stored, recounted } = await counters(q);
  expect(stored, step).toEqual(recounted);
  return stored;
}

/** Deterministic PRNG (mulberry32), so that a failing sequence can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const subset = <T>(xs: readonly T[]): T[] => xs.filter(() => next() < 0.4);
  return { next, int, pick, subset };
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe("mailbox counters", () => {
  it("stay equal to a recount through a random sequence of deliveries, appends, copies, moves, flag changes, expunges and deletions", async () => {
    const rnd = prng(20261129);
    const { users } = await seedUsers(["c1", "c2", "c3"]);
    const live = new Map(Object.values(users).map((u) => [u.id, u.email]));
    const FOLDERS = ["F1", "F2/Sub"];
    const NAMES = ["INBOX", "Archive", ...FOLDERS];
    for (const userId of live.keys()) for (const name of FOLDERS) await createMailbox({ userId, name });
    const FLAG_SETS = [["\\Seen"], ["\\Seen", "\\Flagged"], ["\\Deleted"], ["\\seen"], ["$Label"], ["\\Deleted", "\\Seen"], []];
    const OPERATIONS: FlagOperation[] = ["add", "remove", "set"];

    const mailboxIds = async (userId: number) =>
      new Map((await listMailboxes({ userId, withCounts: false })).map((b) => [b.name, b.id] as const));
    const uidsOf = async (mailboxId: number) =>
      (await getPool().query<{ uid: number }>("SELECT uid FROM messages WHERE mailbox_id = $1 ORDER BY uid", [mailboxId])).rows.map(
        (r) => r.uid,
      );
    const message = (i: number) => rawMessage({ subject: `m${i}`, body: "word ".repeat(1 + rnd.int(400)) });

    /** One random change through lib/mail, described for failure messages. */
    async function randomChange(i: number): Promise<string> {
      const userId = rnd.pick([...live.keys()]);
      const ids = await mailboxIds(userId);
      const from = ids.get(rnd.pick(NAMES));
      const to = ids.get(rnd.pick(NAMES.filter((n) => ids.get(n) !== from)));
      // Only while changes run side by side: a sibling deleted the mailbox and has not recreated it yet.
      if (from === undefined || to === undefined) return "skipped: mailbox missing";
      const r = rnd.next();
      if (r < 0.14) {
        const targets = rnd.subset([...live.keys()]).map((u) => ({ userId: u, mailbox: rnd.pick(NAMES), flags: rnd.pick(FLAG_SETS) }));
        if (targets.length === 0) targets.push({ userId, mailbox: rnd.pick(NAMES), flags: [] });
        await deliverMessage({ raw: message(i), targets });
        return `deliver to ${JSON.stringify(targets)}`;
      }
      if (r < 0.28) {
        const n = 1 + rnd.int(3);
        await appendMessages({ userId, mailboxId: from, messages: Array.from({ length: n }, () => ({ raw: message(i), flags: rnd.pick(FLAG_SETS) })) });
        return `append ${n} to ${from}`;
      }
      const uids = rnd.subset(await uidsOf(from));
      if (rnd.next() < 0.1) uids.push(999_999); // a UID that does not exist
      if (r < 0.4) {
        await copyMessages({ userId, fromMailboxId: from, toMailboxId: to, uids });
        return `copy ${uids} ${from} → ${to}`;
      }
      if (r < 0.52) {
        await moveMessages({ userId, fromMailboxId: from, toMailboxId: to, uids });
        return `move ${uids} ${from} → ${to}`;
      }
      if (r < 0.8) {
        const operation = rnd.pick(OPERATIONS);
        const flags = rnd.pick(FLAG_SETS);
        await storeFlags({ userId, mailboxId: from, uids, operation, flags });
        return `store ${operation} ${flags} on ${uids} in ${from}`;
      }
      if (r < 0.94) {
        const only = rnd.next() < 0.5 ? uids : undefined;
        const ignoreDeletedFlag = rnd.next() < 0.3;
        await expungeMessages({ userId, mailboxId: from, uids: only, ignoreDeletedFlag });
        return `expunge ${only ?? "all"}${ignoreDeletedFlag ? " (ignoring \\Deleted)" : ""} in ${from}`;
      }
      const name = rnd.pick(["Archive", ...FOLDERS]);
      await deleteMailbox({ userId, name });
      await createMailbox({ userId, name });
      return `delete and recreate ${name} of user ${userId}`;
    }

    async function expectListingAndQuotaRight(step: string, opts: { quota: boolean }) {
      for (const userId of live.keys()) {
        const listed = (await listMailboxes({ userId })).map((b) => ({ id: b.id, messages: b.messages, unseen: b.unseen, size: b.size }));
        expect(listed.sort((x, y) => x.id - y.id), `${step}: listing of ${userId}`).toEqual((await counters(getPool(), userId)).recounted);
        if (opts.quota) {
          const usage = await getPool().query(
            "SELECT used_bytes, (SELECT coalesce(sum(size), 0) FROM messages WHERE user_id = $1)::bigint AS bytes FROM users WHERE id = $1",
            [userId],
          );
          expect(Number(usage.rows[0].used_bytes), `${step}: quota of ${userId}`).toBe(Number(usage.rows[0].bytes));
        }
        const messages = await getPool().query("SELECT count(*)::int AS n FROM messages WHERE user_id = $1", [userId]);
        expect((await getQuota({ userId })).messages, `${step}: messages of ${userId}`).toBe(messages.rows[0].n);
      }
    }

    const log: string[] = [];
    let peak = { messages: 0, seen: 0 };
    for (let i = 0; i < 300; i++) {
      if (i === 150) {
        const [userId, email] = [...live].at(-1)!;
        live.delete(userId);
        await removeUser({ email });
        log.push(`remove user ${userId}`);
      } else {
        log.push(await randomChange(i));
      }
      const step = `step ${i}: ${log.at(-1)}`;
      const stored = await expectCountersRight(getPool(), step);
      const messages = stored.reduce((n, b) => n + b.messages, 0);
      peak = { messages: Math.max(peak.messages, messages), seen: Math.max(peak.seen, messages - stored.reduce((n, b) => n + b.unseen, 0)) };
      if (i % 10 === 0) await expectListingAndQuotaRight(step, { quota: true });
    }

    // Changes running side by side: increments from concurrent transactions must all land.
    for (let round = 0; round < 10; round++) {
      const changes = Array.from({ length: 6 }, (_, k) =>
        randomChange(1000 + round * 10 + k).catch((err) => {
          if (!isAppError(err)) throw err; // e.g. a mailbox deleted by a sibling: expected
          return `failed: ${err.message}`;
        }),
      );
      const done = await Promise.all(changes);
      await expectCountersRight(getPool(), `concurrent round ${round}: ${done.join("; ")}`);
      for (const userId of live.keys()) {
        for (const name of NAMES.slice(1)) await createMailbox({ userId, name }).catch((err) => expect(isAppError(err, "ALREADY_EXISTS")).toBe(true));
      }
    }
    // And the quota: copies and expunges read sizes under the user's lock, so side by side with a
    // move or expunge of the same messages they charge exactly what they copied or removed.
    await expectListingAndQuotaRight("after the concurrent rounds", { quota: true });

    // The sequence did build up mail, seen and unseen.
    expect(peak.messages).toBeGreaterThan(50);
    expect(peak.seen).toBeGreaterThan(10);

    for (const [userId, email] of live) {
      await removeUser({ email });
      live.delete(userId);
      await expectCountersRight(getPool(), `after removing user ${userId}`);
    }
  }, 180_000);

  it("follow UPDATEs that move messages between mailboxes or change their size, over several mailboxes in one statement", async () => {
    const { users } = await seedUsers(["upd"]);
    const userId = users.upd.id;
    const a = (await createMailbox({ userId, name: "A" })).id;
    const b = (await createMailbox({ userId, name: "B" })).id;
    await appendMessages({ userId, mailboxId: a, messages: [{ raw: rawMessage() }, { raw: rawMessage(), flags: ["\\Seen"] }, { raw: rawMessage() }] });
    await appendMessages({ userId, mailboxId: b, messages: [{ raw: rawMessage(), flags: ["\\Seen"] }] });
    const pool = getPool();
    await pool.query("UPDATE messages SET mailbox_id = $2, uid = uid + 1000, size = size + 7 WHERE mailbox_id = $1 AND uid <= 2", [a, b]);
    await expectCountersRight(pool, "move and resize by UPDATE");
    await pool.query("UPDATE messages SET flags = array_append(flags, '\\Seen') WHERE user_id = $1", [userId]);
    await expectCountersRight(pool, "mark all seen across mailboxes");
    await pool.query("UPDATE messages SET flags = '{}' WHERE user_id = $1 AND mailbox_id = $2", [userId, b]);
    await expectCountersRight(pool, "mark unseen");
    await pool.query("UPDATE messages SET mod_seq = mod_seq + 1 WHERE user_id = $1", [userId]); // counters untouched
    await expectCountersRight(pool, "no counter change");
    const listed = new Map((await listMailboxes({ userId })).map((x) => [x.id, x]));
    expect([listed.get(a)!.messages, listed.get(a)!.unseen]).toEqual([1, 0]);
    expect([listed.get(b)!.messages, listed.get(b)!.unseen]).toEqual([3, 3]);
  });

  it("are backfilled by the migration for the mail already there", async () => {
    // A database built from the migrations before this one, filled, then migrated.
    const old = await createTestDatabase({ connect: false });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-migrations-"));
    const client = new pg.Client({ connectionString: old.url });
    await client.connect();
    try {
      for (const m of listMigrations().filter((x) => x.name < COUNTERS_MIGRATION)) {
        fs.mkdirSync(path.join(dir, m.name));
        fs.writeFileSync(path.join(dir, m.name, "migration.sql"), m.sql);
      }
      await client.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
      await migrate(old.url, dir);
      const columns = await client.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'mailboxes' AND column_name = 'message_count'");
      expect(columns.rowCount).toBe(0);

      const u = (
        await client.query(
          `WITH d AS (INSERT INTO domains (name) VALUES ('backfill.test') RETURNING id)
           INSERT INTO users (email, domain_id, password_hash) SELECT 'u@backfill.test', id, 'x' FROM d RETURNING id`,
        )
      ).rows[0].id;
      const boxes = (
        await client.query(
          "INSERT INTO mailboxes (user_id, name, uid_validity) VALUES ($1, 'INBOX', 1), ($1, 'A', 2), ($1, 'Empty', 3) RETURNING id, name",
          [u],
        )
      ).rows as { id: number; name: string }[];
      const thread = (await client.query("INSERT INTO threads (user_id) VALUES ($1) RETURNING id", [u])).rows[0].id;
      await client.query(`INSERT INTO blobs (hash, size, data, envelope, body_structure) VALUES ('h', 1, '\\x00', '{}', '{}')`);
      // Flags cycle through none, \Seen, \Seen with more, and a lower-case \seen (unseen to the predicate).
      const sizes = { INBOX: 500, A: 37, Empty: 0 } as Record<string, number>;
      for (const b of boxes) {
        await client.query(
          `INSERT INTO messages (user_id, mailbox_id, uid, mod_seq, blob_hash, thread_id, flags, internal_date, size)
           SELECT $1, $2, g, 1, 'h', $3,
             CASE g % 4 WHEN 0 THEN '{}' WHEN 1 THEN ARRAY['\\Seen'] WHEN 2 THEN ARRAY['\\Flagged', '\\Seen'] ELSE ARRAY['\\seen'] END,
             now(), 100 + g
           FROM generate_series(1, $4) g`,
          [u, b.id, thread, sizes[b.name]],
        );
      }

      const result = await migrate(old.url);
      expect(result.applied[0]).toBe(COUNTERS_MIGRATION);
      const want = (n: number) => {
        const uids = Array.from({ length: n }, (_, k) => k + 1);
        return {
          messages: n,
          unseen: uids.filter((g) => g % 4 === 0 || g % 4 === 3).length,
          size: uids.reduce((s, g) => s + 100 + g, 0),
        };
      };
      const { stored, recounted } = await counters(client);
      expect(stored).toEqual(recounted);
      expect(stored).toEqual(boxes.map((b) => ({ id: b.id, ...want(sizes[b.name]) })).sort((x, y) => x.id - y.id));
      // The triggers are live from there on.
      await client.query("DELETE FROM messages WHERE uid % 2 = 0");
      await expectCountersRight(client, "after a delete in the migrated database");
    } finally {
      await client.end();
      fs.rmSync(dir, { recursive: true, force: true });
      await old.drop();
    }
  });
});
