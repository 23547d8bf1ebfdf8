// The per-command floor of Pigeon's IMAP server as `npm start` runs it (workers/start.ts, every
// server in one process) beside the IMAP server alone in a process (bench/imap/pigeon-server.ts):
// NOOP and `FETCH 1:50 (UID FLAGS)` round trips, and with --prof a CPU profile of the production
// process (node --cpu-prof) while it answers NOOPs (its start-up is in the profile too).
//
//   npx tsx bench/profile/imap-floor.ts [--samples 3000] [--prof]
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { addDomain } from "../../lib/accounts/domains.ts";
import { addUser } from "../../lib/accounts/users.ts";
import { parseConfig } from "../../lib/config.ts";
import { connectDatabase, disconnectDatabase } from "../../lib/db/client.ts";
import { migrate } from "../../lib/db/migrate.ts";
import { appendMessages } from "../../lib/mail/append.ts";
import { getMailboxOrThrow } from "../../lib/mail/mailboxes.ts";
import { getTlsMaterial } from "../../lib/tls.ts";
import { startTestDns } from "../../tests/helpers/test-dns.ts";
import { BenchClient } from "../imap/client.ts";
import { benchMessage } from "../imap/corpus.ts";
import { summarizeCpuProfile, type CpuProfile } from "../lib/cpuprofile.ts";
import { createScratchDatabase, repoRoot, startPigeonProduction } from "../lib/pigeon.ts";
import { flag, loadAverage, median, numberOption, percentile } from "../lib/util.ts";

const SAMPLES = numberOption("samples", 3000);
const PASSWORD = "bench password floor";

async function rounds(port: number, email: string, password: string, label: string) {
  const c = await BenchClient.connect(port);
  if ((await c.command(`LOGIN "${email}" "${password}"`)).status !== "OK") throw new Error(`${label}: login failed`);
  await c.command("SELECT INBOX");
  for (const cmd of ["NOOP", "FETCH 1:50 (UID FLAGS)"]) {
    const xs: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t = process.hrtime.bigint();
      await c.command(cmd);
      xs.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    console.log(`| ${label} | ${cmd} | ${median(xs).toFixed(3)} | ${percentile(xs, 90).toFixed(3)} | ${loadAverage()} |`);
  }
  c.close();
}

console.log("| server | command | p50 ms | p90 ms | load |\n|---|---|---:|---:|---|");

// The IMAP server alone in a child process.
const alone = spawn(process.execPath, ["--import", "tsx", "bench/imap/pigeon-server.ts"], {
  cwd: repoRoot,
  env: { ...process.env, BENCH_MESSAGES: "100" },
  stdio: ["ignore", "pipe", "ignore"],
});
const ready = await new Promise<{ securePort: number; email: string; password: string }>((resolve) => {
  let b = "";
  alone.stdout!.on("data", (d) => {
    b += d;
    const l = b.split("\n").find((x) => x.startsWith("READY "));
    if (l) resolve(JSON.parse(l.slice(6)));
  });
});
await rounds(ready.securePort, ready.email, ready.password, "IMAP server alone (bench/imap/pigeon-server.ts)");
alone.kill("SIGTERM");
await new Promise((r) => alone.once("exit", r));

// The same behind workers/start.ts.
const db = await createScratchDatabase("pigeon_bench_floor");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-bench-floor-"));
fs.chmodSync(tmp, 0o755);
const dns = await startTestDns();
const profDir = path.join(tmp, "prof");
try {
  await migrate(db.url);
  connectDatabase(db.url, 2);
  await addDomain({ name: "bench.test" });
  const user = await addUser({ email: "floor@bench.test", password: PASSWORD });
  const inbox = await getMailboxOrThrow({ userId: user.id, name: "INBOX" });
  await appendMessages({ userId: user.id, mailboxId: inbox.id, messages: Array.from({ length: 100 }, (_, i) => ({ raw: benchMessage(i) })) });
  await getTlsMaterial(parseConfig({ DATA_DIR: tmp }));
  const p = await startPigeonProduction({
    databaseUrl: db.url,
    dataDir: tmp,
    dnsServers: dns.address,
    adminEmail: "admin@bench.test",
    adminPassword: PASSWORD,
    nodeArgs: flag("prof") ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [],
  });
  try {
    await rounds(p.ports.imaps, user.email, PASSWORD, "workers/start.ts (npm start)");
  } finally {
    await p.stop();
  }
  if (flag("prof")) {
    // One profile per process (start.ts, next start, …): the one with the IMAP server's frames.
    for (const f of fs.readdirSync(profDir)) {
      const profile = JSON.parse(fs.readFileSync(path.join(profDir, f), "utf8")) as CpuProfile;
      if (!profile.nodes.some((n) => n.callFrame.url.includes("lib/imap/connection.ts"))) continue;
      const s = summarizeCpuProfile(profile);
      console.log(`\nCPU profile of workers/start.ts (${f}), ${s.totalMs.toFixed(0)} ms sampled, self time by source:\n${s.sources.join("\n")}\nby function:\n${s.functions.join("\n")}`);
    }
  }
} finally {
  await dns.close();
  await disconnectDatabase();
  await db.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(0);
