// A/B of two Pigeon checkouts on the same IMAP commands, interleaved command by command so that a
// machine shared with other work slows both alike: both run as `npm start` does (workers/start.ts,
// production web) against ONE scratch database with a big INBOX, and one client alternates
// between them. For checking a proposed patch (issue 11) with figures that mean something here.
//
//   npx tsx bench/profile/ab-imap.ts --a /path/to/checkout-a --b /path/to/checkout-b \
//     [--messages 100000] [--samples 200]
//
// Each checkout needs its node_modules (a hard-linked copy is enough: cp -al) and builds its own
// .next on first start when stale. DATABASE_URL: the Postgres server for the scratch database.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { addDomain } from "../../lib/accounts/domains.ts";
import { addUser } from "../../lib/accounts/users.ts";
import { parseConfig } from "../../lib/config.ts";
import { connectDatabase, disconnectDatabase, getPool } from "../../lib/db/client.ts";
import { migrate } from "../../lib/db/migrate.ts";
import { appendMessages } from "../../lib/mail/append.ts";
import { getMailboxOrThrow } from "../../lib/mail/mailboxes.ts";
import { getTlsMaterial } from "../../lib/tls.ts";
import { startTestDns } from "../../tests/helpers/test-dns.ts";
import { BenchClient } from "../imap/client.ts";
import { benchMessage } from "../imap/corpus.ts";
import { benchInternalDate } from "../lib/imap.ts";
import { createScratchDatabase, startPigeonProduction, type PigeonProcess } from "../lib/pigeon.ts";
import { loadAverage, log, median, numberOption, option, percentile, timed } from "../lib/util.ts";

const A = option("a");
const B = option("b");
if (!A || !B) throw new Error("usage: --a DIR --b DIR");
const MESSAGES = numberOption("messages", 100_000);
const SAMPLES = numberOption("samples", 200);
const PASSWORD = "bench password ab";

const db = await createScratchDatabase("pigeon_bench_ab");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-bench-ab-"));
fs.chmodSync(tmp, 0o755);
const running: PigeonProcess[] = [];
const dns = await startTestDns();
try {
  await migrate(db.url);
  connectDatabase(db.url, 5);
  await addDomain({ name: "bench.test" });
  const user = await addUser({ email: "big@bench.test", password: PASSWORD, quotaBytes: 1e13 });
  const inbox = await getMailboxOrThrow({ userId: user.id, name: "INBOX" });
  for (let i = 0; i < MESSAGES; i += 250) {
    const batch = [];
    for (let j = i; j < Math.min(MESSAGES, i + 250); j++) batch.push({ raw: benchMessage(j), internalDate: benchInternalDate(j) });
    await appendMessages({ userId: user.id, mailboxId: inbox.id, messages: batch });
    if ((i / 250) % 40 === 0) log(`loaded ${i + batch.length}/${MESSAGES}`);
  }
  await getPool().query("VACUUM ANALYZE");
  const clients: Record<string, BenchClient> = {};
  for (const [name, dir] of [
    ["a", A],
    ["b", B],
  ] as const) {
    const dataDir = path.join(tmp, name);
    fs.mkdirSync(dataDir);
    await getTlsMaterial(parseConfig({ DATA_DIR: dataDir }));
    process.env.PIGEON_DIR = dir;
    const p = await startPigeonProduction({ databaseUrl: db.url, dataDir, dnsServers: dns.address, adminEmail: "admin@bench.test", adminPassword: PASSWORD });
    running.push(p);
    const c = await BenchClient.connect(p.ports.imaps);
    if ((await c.command(`LOGIN "${user.email}" "${PASSWORD}"`)).status !== "OK") throw new Error(`${name}: login failed`);
    await c.command("SELECT INBOX");
    clients[name] = c;
    log(`${name}: ${dir} up (pid ${p.pid})`);
  }
  const range = `${MESSAGES - 49}:${MESSAGES}`;
  console.log(`A = ${A}\nB = ${B}\n${MESSAGES} messages, ${SAMPLES} samples each, interleaved A/B; load average at start ${loadAverage()}`);
  console.log("| command | A p50 ms | B p50 ms | A p95 ms | B p95 ms | B ÷ A (p50) |\n|---|---:|---:|---:|---:|---:|");
  for (const cmd of ["NOOP", `FETCH ${range} (UID FLAGS)`, `FETCH ${range} (UID FLAGS ENVELOPE)`, `FETCH ${range} (BODYSTRUCTURE)`, "SELECT INBOX"]) {
    const times: Record<string, number[]> = { a: [], b: [] };
    for (let i = 0; i < SAMPLES + 5; i++) {
      for (const name of i % 2 ? ["a", "b"] : ["b", "a"]) {
        const [ms, r] = await timed(() => clients[name].command(cmd));
        if (r.status !== "OK") throw new Error(`${name}: ${cmd}: ${r.text}`);
        if (i >= 5) times[name].push(ms);
      }
    }
    const [a, b] = [times.a, times.b];
    console.log(
      `| ${cmd} | ${median(a).toFixed(2)} | ${median(b).toFixed(2)} | ${percentile(a, 95).toFixed(2)} | ${percentile(b, 95).toFixed(2)} | ${(median(b) / median(a)).toFixed(2)} |`,
    );
  }
  console.log(`load average at end ${loadAverage()}`);
  for (const c of Object.values(clients)) c.close();
} finally {
  for (const p of running) await p.stop();
  await dns.close();
  await disconnectDatabase();
  await db.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(0);
