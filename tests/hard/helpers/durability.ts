import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { connectDatabase, disconnectDatabase } from "../../../lib/db/client.ts";
import { migrate } from "../../../lib/db/migrate.ts";
import { seedUsers } from "../../helpers/fixtures.ts";
import { startTestDns } from "../../helpers/test-dns.ts";
import { startOwnPostgres } from "./own-postgres.ts";
import { runSmtpLoad, type LoadResult } from "./smtp-load.ts";
import { freePort, seededRandom, sleep, spawnWorker, type WorkerProcess } from "./worker-process.ts";

// Issue 12, item 1: an SMTP load against the MX running as its own process (workers/smtp.ts) over
// a Postgres of its own; the MX is killed with SIGKILL at random moments and restarted, then
// Postgres is. Afterwards every attempt that got 250 must be stored exactly once, intact, and
// the mailbox's counters (UIDs, modseqs, quota) must agree with what is stored.

export interface DurabilityOptions {
  count: number;
  concurrency: number;
  smtpKills: number;
  pgKills: number;
  seed: number;
  log?: (line: string) => void;
}

export interface KillEvent {
  what: "smtp" | "postgres";
  atAttempt: number;
  /** Acknowledged attempts at the moment of the kill. */
  ackedBefore: number;
  downMs: number;
}

export interface DurabilityReport {
  seed: number;
  load: LoadResult;
  sent: number;
  acked: number;
  notAcked: number;
  /** Acknowledged attempts found stored exactly once. */
  ackedStoredOnce: number;
  ackedMissing: string[];
  ackedDuplicated: string[];
  /** Attempts without a 250 that were stored anyway (the server committed, then died). */
  unackedStored: number;
  unackedDuplicated: string[];
  /** Stored messages the client never sent (must be none). */
  strangers: string[];
  /** Stored messages whose body differs from what was sent. */
  corrupted: string[];
  storedRows: number;
  kills: KillEvent[];
  /** The MX exiting when nobody killed it. */
  unexpectedExits: string[];
  mailbox: { messages: number; distinctUids: number; maxUid: number; uidNext: number; maxModSeq: number; highestModSeq: number };
  quota: { usedBytes: number; sumOfSizes: number };
  elapsedMs: number;
}

export async function runDurability(opts: DurabilityOptions): Promise<DurabilityReport> {
  const log = opts.log ?? (() => undefined);
  const random = seededRandom(opts.seed);
  const started = Date.now();
  const db = await startOwnPostgres();
  const dns = await startTestDns();
  const workers: WorkerProcess[] = [];
  const unexpectedExits: string[] = [];
  let shuttingDown = false;
  try {
    await migrate(db.url);
    connectDatabase(db.url, 4);
    const { users } = await seedUsers(["rcpt"]);
    await disconnectDatabase();
    const rcpt = users.rcpt;

    const smtpPort = await freePort();
    const dataDir = path.join(db.dir, "smtp-data");
    fs.mkdirSync(dataDir);
    const env = {
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      MAIL_HOSTNAME: "mx.durability.test",
      SMTP_PORT: String(smtpPort),
      SUBMISSION_PORT: "0",
      SMTPS_PORT: "0",
      DNS_SERVERS: dns.address,
    };
    let mx!: WorkerProcess;
    let killing = false;
    const startMx = async () => {
      const w = spawnWorker("smtp", env);
      workers.push(w);
      mx = w;
      void w.exited.then((how) => {
        if (!shuttingDown && (!killing || mx !== w)) unexpectedExits.push(`smtp worker pid ${w.pid} exited (${how}):\n${w.output().slice(-3000)}`);
      });
      await w.ready;
    };
    await startMx();

    // Kill points, as fractions of the attempts: the MX's kills in the first half, Postgres's in the second.
    const points = (n: number, lo: number, hi: number) =>
      Array.from({ length: n }, () => lo + random() * (hi - lo)).sort((a, b) => a - b);
    const schedule: { what: "smtp" | "postgres"; at: number }[] = [
      ...points(opts.smtpKills, 0.08, 0.48).map((f) => ({ what: "smtp" as const, at: Math.floor(f * opts.count) })),
      ...points(opts.pgKills, 0.52, 0.92).map((f) => ({ what: "postgres" as const, at: Math.floor(f * opts.count) })),
    ];
    const kills: KillEvent[] = [];
    let attemptsDone = 0;
    let acked = 0;
    let loadDone = false;
    let controllerError: Error | null = null;

    const controller = (async () => {
      for (const step of schedule) {
        while (!loadDone && acked < step.at) await sleep(5);
        if (loadDone) return;
        // A random moment inside whatever transactions are in flight.
        await sleep(Math.floor(random() * 40));
        const event: KillEvent = { what: step.what, atAttempt: attemptsDone, ackedBefore: acked, downMs: 0 };
        const t0 = Date.now();
        if (step.what === "smtp") {
          killing = true;
          await mx.kill();
          killing = false;
          log(`killed the MX (pid ${mx.pid}) after ${acked} acknowledged messages`);
          await sleep(Math.floor(random() * 300));
          await startMx();
        } else {
          await db.kill();
          log(`killed Postgres after ${acked} acknowledged messages`);
          await sleep(Math.floor(random() * 800));
          await db.restart();
          // The MX must have survived its database going away.
          if (mx.child.exitCode !== null || mx.child.signalCode !== null) await startMx();
        }
        event.downMs = Date.now() - t0;
        kills.push(event);
      }
    })().catch((err: Error) => {
      // A restart that failed (the worker did not come up): stop the load and report it.
      controllerError = err;
    });

    const runId = `d${opts.seed.toString(36)}`;
    const load = await runSmtpLoad({
      port: () => smtpPort,
      count: opts.count,
      concurrency: opts.concurrency,
      from: "sender@load.example",
      to: rcpt.email,
      runId,
      onAttempt: (n, a) => {
        attemptsDone = n;
        acked = a;
      },
      aborted: () => controllerError !== null,
    }).finally(() => {
      loadDone = true;
    });
    acked = load.attempts.filter((a) => a.acked).length;
    await controller;
    if (controllerError) throw controllerError;

    // What the store holds, read over a connection of our own.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = await client.query<{ message_id: string | null; data: Buffer; size: number }>(
        `SELECT m.message_id, b.data, m.size FROM messages m JOIN blobs b ON b.hash = m.blob_hash WHERE m.user_id = $1`,
        [rcpt.id],
      );
      const stored = new Map<string, Buffer[]>();
      for (const r of rows.rows) {
        const id = r.message_id ?? "(none)";
        if (!stored.has(id)) stored.set(id, []);
        stored.get(id)!.push(r.data);
      }
      const sentIds = new Map(load.attempts.map((a) => [a.messageId, a]));
      const report: DurabilityReport = {
        seed: opts.seed,
        load,
        sent: load.attempts.length,
        acked: load.attempts.filter((a) => a.acked).length,
        notAcked: load.attempts.filter((a) => !a.acked).length,
        ackedStoredOnce: 0,
        ackedMissing: [],
        ackedDuplicated: [],
        unackedStored: 0,
        unackedDuplicated: [],
        strangers: [...stored.keys()].filter((id) => !sentIds.has(id)),
        corrupted: [],
        storedRows: rows.rowCount ?? 0,
        kills,
        unexpectedExits,
        mailbox: { messages: 0, distinctUids: 0, maxUid: 0, uidNext: 0, maxModSeq: 0, highestModSeq: 0 },
        quota: { usedBytes: 0, sumOfSizes: 0 },
        elapsedMs: 0,
      };
      const { createHash } = await import("node:crypto");
      for (const a of load.attempts) {
        const copies = stored.get(a.messageId) ?? [];
        if (a.acked) {
          if (copies.length === 0) report.ackedMissing.push(a.messageId);
          else if (copies.length > 1) report.ackedDuplicated.push(a.messageId);
          else report.ackedStoredOnce++;
        } else if (copies.length === 1) report.unackedStored++;
        else if (copies.length > 1) report.unackedDuplicated.push(a.messageId);
        for (const data of copies) {
          const text = data.toString("latin1");
          const body = text.slice(text.indexOf("\r\n\r\n") + 4);
          if (createHash("sha256").update(body, "latin1").digest("hex") !== a.bodyHash) report.corrupted.push(a.messageId);
        }
      }
      const box = await client.query<{ messages: number; distinct_uids: number; max_uid: number; uid_next: number; max_mod_seq: number; highest_mod_seq: number }>(
        `SELECT count(m.id)::int AS messages, count(DISTINCT m.uid)::int AS distinct_uids, coalesce(max(m.uid), 0)::int AS max_uid,
                b.uid_next, coalesce(max(m.mod_seq), 0)::bigint AS max_mod_seq, b.highest_mod_seq
         FROM mailboxes b LEFT JOIN messages m ON m.mailbox_id = b.id
         WHERE b.user_id = $1 AND b.name = 'INBOX' GROUP BY b.id`,
        [rcpt.id],
      );
      const r = box.rows[0];
      report.mailbox = {
        messages: r.messages,
        distinctUids: r.distinct_uids,
        maxUid: r.max_uid,
        uidNext: r.uid_next,
        maxModSeq: Number(r.max_mod_seq),
        highestModSeq: Number(r.highest_mod_seq),
      };
      const quota = await client.query<{ used_bytes: string; sum: string }>(
        `SELECT u.used_bytes::text, (SELECT coalesce(sum(size), 0) FROM messages WHERE user_id = u.id)::text AS sum FROM users u WHERE u.id = $1`,
        [rcpt.id],
      );
      report.quota = { usedBytes: Number(quota.rows[0].used_bytes), sumOfSizes: Number(quota.rows[0].sum) };
      report.elapsedMs = Date.now() - started;
      return report;
    } finally {
      await client.end();
    }
  } finally {
    shuttingDown = true;
    for (const w of workers) await w.stop(3000).catch(() => undefined);
    await dns.close();
    await db.stop().catch(() => undefined);
  }
}

/** The figures of a report in a few lines. */
export function describeDurability(r: DurabilityReport): string {
  return [
    `seed=${r.seed} elapsed=${(r.elapsedMs / 1000).toFixed(1)}s`,
    `logical messages=${r.load.delivered + r.load.abandoned} delivered=${r.load.delivered} abandoned=${r.load.abandoned}`,
    `attempts sent=${r.sent} acknowledged(250)=${r.acked} not acknowledged=${r.notAcked}`,
    `acknowledged and stored exactly once=${r.ackedStoredOnce} missing=${r.ackedMissing.length} duplicated=${r.ackedDuplicated.length}`,
    `not acknowledged but stored (committed before the kill)=${r.unackedStored} stored twice=${r.unackedDuplicated.length}`,
    `stored rows=${r.storedRows} strangers=${r.strangers.length} corrupted=${r.corrupted.length}`,
    `kills: ${r.kills.map((k) => `${k.what}@${k.ackedBefore} (down ${k.downMs} ms)`).join(", ")}`,
    `mailbox: ${JSON.stringify(r.mailbox)} quota: ${JSON.stringify(r.quota)}`,
    `connects=${r.load.connects} failed connects=${r.load.connectFailures} unexpected exits=${r.unexpectedExits.length}`,
  ].join("\n");
}
