// Where the time of `FETCH n-49:n (UID FLAGS ENVELOPE)` goes in Pigeon (the figure of `npm run
// bench` with the worst ratio to Dovecot, issue 11): per-command floor (NOOP), the same FETCH
// without ENVELOPE, the store query alone (lib/mail fetchMessages), the query in Postgres
// (EXPLAIN ANALYZE), and a CPU profile of the server answering it.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/profile/imap-fetch.ts \
//     [--messages 20000] [--samples 300] [--profile FILE.cpuprofile] [--dovecot]
//
// The IMAP server runs in this process (bench/imap/pigeon.ts) so that node:inspector can profile
// it; the client is bench/imap's minimal one. --dovecot times the same commands on a private
// Dovecot for reference. Not part of `npm test`.
import fs from "node:fs";
import inspector from "node:inspector/promises";
import { getPool } from "../../lib/db/client.ts";
import { appendMessages } from "../../lib/mail/append.ts";
import { fetchMessages } from "../../lib/mail/fetch.ts";
import { getMailboxOrThrow } from "../../lib/mail/mailboxes.ts";
import { BenchClient } from "../imap/client.ts";
import { benchMessage } from "../imap/corpus.ts";
import { startPigeon } from "../imap/pigeon.ts";
import { startDovecot } from "../lib/dovecot.ts";
import { benchInternalDate, loadOverImap } from "../lib/imap.ts";
import { summarizeCpuProfile, type CpuProfile } from "../lib/cpuprofile.ts";
import { flag, loadAverage, log, median, numberOption, option, percentile, timed } from "../lib/util.ts";

const MESSAGES = numberOption("messages", 20_000);
const SAMPLES = numberOption("samples", 300);

async function timeCommands(port: number, user: string, password: string, label: string) {
  const c = await BenchClient.connect(port);
  if ((await c.command(`LOGIN "${user}" "${password}"`)).status !== "OK") throw new Error(`${label}: login failed`);
  const sel = await c.command("SELECT INBOX", { keep: true });
  const exists = Number(/\* (\d+) EXISTS/.exec(sel.text)?.[1] ?? 0);
  const range = `${exists - 49}:${exists}`;
  const out: Record<string, { p50: number; p95: number }> = {};
  for (const [name, cmd] of [
    ["NOOP", "NOOP"],
    ["FETCH 50 (UID FLAGS)", `FETCH ${range} (UID FLAGS)`],
    ["FETCH 50 (UID FLAGS ENVELOPE)", `FETCH ${range} (UID FLAGS ENVELOPE)`],
    ["FETCH 50 (ENVELOPE)", `FETCH ${range} (ENVELOPE)`],
    ["FETCH 1 (UID FLAGS ENVELOPE)", `FETCH ${exists} (UID FLAGS ENVELOPE)`],
  ] as const) {
    const xs: number[] = [];
    for (let i = 0; i < SAMPLES + 10; i++) {
      const [ms, r] = await timed(() => c.command(cmd));
      if (r.status !== "OK") throw new Error(`${label}: ${cmd}: ${r.text}`);
      if (i >= 10) xs.push(ms);
    }
    out[name] = { p50: median(xs), p95: percentile(xs, 95) };
    log(`${label}: ${name} p50 ${median(xs).toFixed(2)} ms, p95 ${percentile(xs, 95).toFixed(2)} ms (load ${loadAverage()})`);
  }
  await c.command("LOGOUT");
  c.close();
  return { out, exists, range };
}

const pigeon = await startPigeon();
try {
  const inbox = await getMailboxOrThrow({ userId: pigeon.user.id, name: "INBOX" });
  for (let i = 0; i < MESSAGES; i += 250) {
    const batch = [];
    for (let j = i; j < Math.min(MESSAGES, i + 250); j++) batch.push({ raw: benchMessage(j), internalDate: benchInternalDate(j) });
    await appendMessages({ userId: pigeon.user.id, mailboxId: inbox.id, messages: batch });
  }
  await getPool().query("VACUUM ANALYZE");
  log(`pigeon: ${MESSAGES} messages loaded; load average ${loadAverage()}`);

  const { exists } = await timeCommands(pigeon.securePort, pigeon.user.email, pigeon.user.password, "pigeon");
  const uids = Array.from({ length: 50 }, (_, i) => exists - 49 + i);

  // The store's share: lib/mail fetchMessages as the FETCH command calls it, then the bare query
  // with the envelope as text (no JSON parse in the client), then Postgres's own view.
  const layers: Record<string, number> = {};
  const layer = async (name: string, fn: () => Promise<unknown>) => {
    const xs: number[] = [];
    for (let i = 0; i < SAMPLES + 10; i++) {
      const [ms] = await timed(fn);
      if (i >= 10) xs.push(ms);
    }
    layers[name] = median(xs);
    log(`pigeon: ${name} p50 ${median(xs).toFixed(2)} ms`);
  };
  const sql = (env: string) =>
    `SELECT m.uid, m.mod_seq, m.flags, m.internal_date, m.size, m.blob_hash, m.thread_id${env} FROM messages m JOIN blobs b ON b.hash = m.blob_hash
     WHERE m.mailbox_id = $1 AND m.user_id = $2 AND m.uid = ANY($3::int[]) ORDER BY m.uid`;
  await layer("fetchMessages({ envelope: true }) (lib/mail)", () => fetchMessages({ userId: pigeon.user.id, mailboxId: inbox.id, uids, envelope: true }));
  await layer("fetchMessages() without envelope (lib/mail, no join)", () => fetchMessages({ userId: pigeon.user.id, mailboxId: inbox.id, uids }));
  await layer("same query, envelope::text (no JSON.parse)", () => getPool().query(sql(", b.envelope::text"), [inbox.id, pigeon.user.id, uids]));
  await layer("same query, no envelope column (join kept)", () => getPool().query(sql(""), [inbox.id, pigeon.user.id, uids]));
  await layer("SELECT 1 (pool round trip)", () => getPool().query("SELECT 1"));
  const plan = await getPool().query(`EXPLAIN (ANALYZE, BUFFERS) ${sql(", b.envelope")}`, [inbox.id, pigeon.user.id, uids]);
  console.log("\nEXPLAIN ANALYZE of the FETCH ENVELOPE query:\n" + plan.rows.map((r) => r["QUERY PLAN"]).join("\n"));
  const indexPlan = await getPool().query(
    `EXPLAIN (ANALYZE, BUFFERS) SELECT m.uid, m.mod_seq, m.flags, m.internal_date, m.size, m.blob_hash, m.thread_id FROM messages m
     WHERE m.mailbox_id = $1 AND m.user_id = $2 AND m.uid = ANY($3::int[]) ORDER BY m.uid`,
    [inbox.id, pigeon.user.id, uids],
  );
  console.log("\nEXPLAIN ANALYZE of the index-only query (fetchMessages without envelope):\n" + indexPlan.rows.map((r) => r["QUERY PLAN"]).join("\n"));

  // CPU profile of this process (server and client) while it answers FETCH 50 ENVELOPE.
  const session = new inspector.Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  const c = await BenchClient.connect(pigeon.securePort);
  await c.command(`LOGIN "${pigeon.user.email}" "${pigeon.user.password}"`);
  await c.command("SELECT INBOX");
  await session.post("Profiler.start");
  const [ms] = await timed(async () => {
    for (let i = 0; i < SAMPLES * 3; i++) await c.command(`FETCH ${exists - 49}:${exists} (UID FLAGS ENVELOPE)`);
  });
  const { profile } = await session.post("Profiler.stop");
  c.close();
  session.disconnect();
  const file = option("profile");
  if (file) fs.writeFileSync(file, JSON.stringify(profile));
  const s = summarizeCpuProfile(profile as unknown as CpuProfile);
  console.log(`\nCPU profile: ${SAMPLES * 3} × FETCH 50 ENVELOPE in ${ms.toFixed(0)} ms (${(ms / SAMPLES / 3).toFixed(2)} ms each), ${s.totalMs.toFixed(0)} ms sampled`);
  console.log("self time by source:\n" + s.sources.join("\n"));
  console.log("self time by function:\n" + s.functions.join("\n"));

  if (flag("dovecot")) {
    const d = await startDovecot({ users: [{ name: pigeon.user.email, passwordHash: pigeon.user.passwordHash, mail: "mdbox:~/mdbox" }], cert: pigeon.tls.cert, key: pigeon.tls.key, maxConnections: 10 });
    try {
      await loadOverImap({ name: "dovecot", port: d.imapsPort, user: pigeon.user.email, password: pigeon.user.password }, MESSAGES);
      await timeCommands(d.imapsPort, pigeon.user.email, pigeon.user.password, "dovecot");
    } finally {
      await d.stop();
    }
  }
} finally {
  await pigeon.stop();
}
process.exit(0);
