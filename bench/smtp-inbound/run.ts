import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { addDomain } from "../../lib/accounts/domains.ts";
import { addUser } from "../../lib/accounts/users.ts";
import { parseConfig } from "../../lib/config.ts";
import { connectDatabase, disconnectDatabase, getPool } from "../../lib/db/client.ts";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../lib/db/embedded.ts";
import { migrate } from "../../lib/db/migrate.ts";
import { createInboundServer } from "../../lib/smtp/inbound.ts";
import { getTlsMaterial } from "../../lib/tls.ts";
import { startTestDns } from "../../tests/helpers/test-dns.ts";

// Inbound SMTP throughput: messages accepted AND committed per second, driven by Postfix's
// smtp-source (apt-get install postfix; its daemon is not needed). The MX runs as in production
// (SPF/DKIM/DMARC/ARC checks through a DNS server on 127.0.0.1, reverse lookups, one Postgres
// transaction per message) against a scratch database.
//
//   npx tsx bench/smtp-inbound/run.ts [--messages 10000] [--sessions 20] [--size 10240] [--log FILE]
//
// DATABASE_URL: a Postgres server to create the scratch database on; unset → embedded Postgres.

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const MESSAGES = arg("messages", 10_000);
const SESSIONS = arg("sessions", 20);
const SIZE = arg("size", 10 * 1024);
const logIndex = process.argv.indexOf("--log");
/** --log FILE: the MX's per-message log lines (with auth and store timings) go there. */
const LOG_FILE = logIndex > 0 ? process.argv[logIndex + 1] : undefined;
const RECIPIENT_DOMAIN = "bench.test";
const SENDER = "load@sender.bench.test";

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code: code ?? -1, output }));
  });
}

/** Time from TCP connect to the 220 greeting, over `n` sequential connections. */
async function greetingLatency(port: number, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    times.push(
      await new Promise<number>((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const s = net.connect(port, "127.0.0.1");
        s.once("data", () => {
          resolve(Number(process.hrtime.bigint() - t0) / 1e6);
          s.end("QUIT\r\n");
        });
        s.once("error", reject);
      }),
    );
  }
  return times.sort((a, b) => a - b);
}

async function countStored(userId: number): Promise<number> {
  const r = await getPool().query<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE user_id = $1", [userId]);
  return r.rows[0].n;
}

async function main() {
  const smtpSource = ["/usr/sbin/smtp-source", "/usr/bin/smtp-source"].find((p) => fs.existsSync(p));
  if (!smtpSource) throw new Error("smtp-source not found: apt-get install -y postfix (then stop and disable its daemon)");

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-bench-"));
  fs.chmodSync(tmp, 0o755);
  let embedded: EmbeddedDatabase | undefined;
  let base = process.env.DATABASE_URL;
  if (!base) {
    embedded = await startEmbeddedDatabase(path.join(tmp, "pg"));
    base = embedded.url;
  }
  const admin = new URL(base);
  admin.pathname = "/postgres";
  const name = `pigeon_bench_${process.pid}`;
  const adminClient = new pg.Client({ connectionString: admin.toString() });
  await adminClient.connect();
  await adminClient.query(`CREATE DATABASE ${name}`);
  const dbUrl = new URL(base);
  dbUrl.pathname = `/${name}`;
  await migrate(dbUrl.toString());
  connectDatabase(dbUrl.toString(), SESSIONS + 5);

  const dns = await startTestDns({
    "sender.bench.test": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
    "_dmarc.sender.bench.test": { TXT: ["v=DMARC1; p=none"] },
  });
  const config = parseConfig({ MAIL_HOSTNAME: "mx.bench.test", DATA_DIR: tmp, DNS_SERVERS: dns.address });
  const logStream = LOG_FILE ? fs.createWriteStream(LOG_FILE) : undefined;
  const mx = createInboundServer({ config, tls: await getTlsMaterial(config), log: (line) => logStream?.write(line + "\n") });
  const port = await mx.listen(0, "127.0.0.1");

  await addDomain({ name: RECIPIENT_DOMAIN });
  let runs = 0;
  /** One smtp-source run into a fresh, empty mailbox; returns committed messages per second. */
  const bench = async (label: string, opts: { sessions: number; messages: number; reuse: boolean }) => {
    const rcpt = `rcpt${++runs}@${RECIPIENT_DOMAIN}`;
    const user = await addUser({ email: rcpt, password: "correct horse", quotaBytes: 1e12 });
    const args = ["-s", String(opts.sessions), "-m", String(opts.messages), "-l", String(SIZE), "-f", SENDER, "-t", rcpt, "-M", "client.bench.test"];
    if (opts.reuse) args.unshift("-d");
    args.push(`127.0.0.1:${port}`);
    const t0 = process.hrtime.bigint();
    const r = await run(smtpSource, args);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const stored = await countStored(user.id);
    if (r.code !== 0) console.log(r.output.slice(0, 2000));
    console.log(
      `\n$ smtp-source ${args.join(" ")}\n${label}: ${stored}/${opts.messages} committed in ${seconds.toFixed(2)} s = ` +
        `${(stored / seconds).toFixed(1)} msg/s (${((stored * SIZE) / seconds / 1048576).toFixed(1)} MiB/s of payload)` +
        (r.code !== 0 ? ` [smtp-source exit ${r.code}]` : ""),
    );
    return stored / seconds;
  };

  console.log(`Pigeon inbound SMTP bench: ${MESSAGES} messages of ${SIZE} bytes, ${SESSIONS} parallel sessions, ${os.cpus().length} CPUs, Node ${process.version}`);
  console.log(`database: ${embedded ? "embedded Postgres" : "DATABASE_URL"}; every message SPF/DKIM/DMARC-checked through a DNS server on 127.0.0.1;`);
  console.log(`each run delivers into its own empty mailbox (all messages of a run to one user)`);
  console.log(`load average at start: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);

  const lat = await greetingLatency(port, 100);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(1);
  console.log(`greeting latency (connect → 220), 100 connections: min ${lat[0].toFixed(1)} ms, median ${pct(0.5)} ms, p99 ${pct(0.99)} ms`);
  console.log("(smtp-server waits 100 ms before every greeting to catch early talkers, then looks up the client's PTR)");

  const single = Math.min(200, MESSAGES);
  const fresh1 = await bench("greeting cost, 1 session, new connection per message", { sessions: 1, messages: single, reuse: false });
  const reused1 = await bench("greeting cost, 1 session, one reused connection", { sessions: 1, messages: single, reuse: true });
  console.log(`→ per message: ${(1000 / fresh1).toFixed(1)} ms with a new connection vs ${(1000 / reused1).toFixed(1)} ms reused`);

  await bench(`${SESSIONS} sessions, new connection per message`, { sessions: SESSIONS, messages: MESSAGES, reuse: false });
  await bench(`${SESSIONS} sessions, reused connections`, { sessions: SESSIONS, messages: MESSAGES, reuse: true });

  // The same load spread over as many mailboxes as sessions: one smtp-source per user, each with
  // one session. Deliveries to one user commit one at a time (lib/mail locks the user's row), so
  // this shows what the MX does when that lock is not the limit.
  for (const reuse of [false, true]) {
    const per = Math.floor(MESSAGES / SESSIONS);
    const targets = await Promise.all(
      Array.from({ length: SESSIONS }, async () => {
        const rcpt = `rcpt${++runs}@${RECIPIENT_DOMAIN}`;
        return { rcpt, user: await addUser({ email: rcpt, password: "correct horse", quotaBytes: 1e12 }) };
      }),
    );
    const argsFor = (rcpt: string) => [...(reuse ? ["-d"] : []), "-s", "1", "-m", String(per), "-l", String(SIZE), "-f", SENDER, "-t", rcpt, "-M", "client.bench.test", `127.0.0.1:${port}`];
    const t0 = process.hrtime.bigint();
    const outcomes = await Promise.all(targets.map((t) => run(smtpSource, argsFor(t.rcpt))));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    let stored = 0;
    for (const t of targets) stored += await countStored(t.user.id);
    const failed = outcomes.filter((o) => o.code !== 0).length;
    console.log(
      `\n$ ${SESSIONS} × smtp-source ${argsFor("rcptN@" + RECIPIENT_DOMAIN).join(" ")}   (one per mailbox, in parallel)\n` +
        `${SESSIONS} sessions into ${SESSIONS} mailboxes, ${reuse ? "reused connections" : "new connection per message"}: ` +
        `${stored}/${per * SESSIONS} committed in ${seconds.toFixed(2)} s = ${(stored / seconds).toFixed(1)} msg/s` +
        (failed ? ` [${failed} smtp-source runs failed]` : ""),
    );
  }

  console.log(`\nload average at end: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  await mx.close();
  logStream?.end();
  await dns.close();
  await disconnectDatabase();
  await adminClient.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminClient.end();
  await embedded?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
