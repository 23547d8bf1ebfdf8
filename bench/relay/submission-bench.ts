// Submission throughput: N messages of S bytes sent by P parallel SMTP sessions (nodemailer, one
// connection each, STARTTLS + AUTH PLAIN once per session) to Pigeon's submission server, through
// the Postgres queue and the relay (workers/relay.ts startRelay, in this process: MX lookup via a
// DNS server on 127.0.0.1, DKIM signing, SMTP) to Postfix's smtp-sink on 127.0.0.1.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/relay/submission-bench.ts \
//     [--messages 10000] [--sessions 20] [--size 10240] [--implicit-tls] [--no-relay]
//
// --no-relay measures submission up to the queue only. Needs smtp-sink (Debian: apt-get install
// postfix; no postfix daemon needs to run). Works in a scratch database created next to
// DATABASE_URL's and dropped at the end. Not part of npm test.

import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import dns2 from "dns2";
import nodemailer from "nodemailer";
import pg from "pg";
import { addDomain } from "../../lib/accounts/domains.ts";
import { addUser } from "../../lib/accounts/users.ts";
import { parseConfig } from "../../lib/config.ts";
import { connectDatabase, disconnectDatabase, getPool } from "../../lib/db/client.ts";
import { migrate } from "../../lib/db/migrate.ts";
import { createQueueContext } from "../../lib/queue/context.ts";
import { createSubmissionServer } from "../../lib/smtp/submission.ts";
import { getTlsMaterial } from "../../lib/tls.ts";
import { startRelay } from "../../workers/relay.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const MESSAGES = arg("messages", 10_000);
const SESSIONS = arg("sessions", 20);
const SIZE = arg("size", 10 * 1024);
const IMPLICIT_TLS = process.argv.includes("--implicit-tls");
const RELAY = !process.argv.includes("--no-relay");
const PASSWORD = "bench password";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** MX for sink.test → mx.sink.test → 127.0.0.1; everything else NODATA. */
async function startDns(): Promise<{ server: string; close(): void }> {
  const { Packet } = dns2;
  const udp = dns2.createUDPServer((request, send) => {
    const response = Packet.createResponseFromRequest(request);
    const [q] = request.questions;
    const answers = response.answers as unknown as object[];
    const base = { name: q.name, class: Packet.CLASS.IN, ttl: 300 };
    const name = q.name.toLowerCase();
    if (name === "sink.test" && q.type === Packet.TYPE.MX) answers.push({ ...base, type: Packet.TYPE.MX, exchange: "mx.sink.test", priority: 10 });
    if (name === "mx.sink.test" && q.type === Packet.TYPE.A) answers.push({ ...base, type: Packet.TYPE.A, address: "127.0.0.1" });
    void send(response);
  });
  await udp.listen(0, "127.0.0.1");
  return { server: `127.0.0.1:${(udp.address() as net.AddressInfo).port}`, close: () => udp.close() };
}

async function startSink(port: number) {
  const child = spawn("smtp-sink", ["-u", "nobody", "-8", `127.0.0.1:${port}`, "1024"], { stdio: ["ignore", "ignore", "inherit"] });
  child.on("error", (err) => {
    console.error(`cannot start smtp-sink (apt-get install postfix): ${err.message}`);
    process.exit(1);
  });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("smtp-sink did not start");
}

function message(i: number, from: string): string {
  const head = [
    `From: Bench <${from}>`,
    `To: <rcpt${i}@sink.test>`,
    `Subject: submission bench message ${i}`,
    `Date: ${new Date().toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <submission-bench-${i}-${process.pid}@bench.pigeon.test>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "",
  ].join("\r\n");
  const line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghij\r\n";
  let body = "";
  while (head.length + body.length < SIZE) body += line;
  return head + body.slice(0, SIZE - head.length);
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error("set DATABASE_URL (a Postgres the bench may create a scratch database in)");
  const admin = new URL(base);
  admin.pathname = "/postgres";
  const dbName = `pigeon_bench_sub_${process.pid}`;
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`CREATE DATABASE ${dbName}`);
  await c.end();
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-submission-bench-"));
  const dns = await startDns();
  const sinkPort = await freePort();
  const sink = await startSink(sinkPort);
  const closers: (() => Promise<void>)[] = [];

  try {
    await migrate(url.toString());
    connectDatabase(url.toString(), SESSIONS + 30);
    const config = parseConfig({
      DATABASE_URL: url.toString(),
      DATA_DIR: dataDir,
      MAIL_HOSTNAME: "bench.pigeon.test",
      DNS_SERVERS: dns.server,
      OUTBOUND_SMTP_PORT: String(sinkPort),
    });
    await addDomain({ name: "bench.test" });
    const from = (await addUser({ email: "sender@bench.test", password: PASSWORD })).email;
    const quiet = () => undefined;

    const server = createSubmissionServer({
      config,
      tls: await getTlsMaterial(config),
      implicitTls: IMPLICIT_TLS,
      queue: createQueueContext({ config, log: quiet }),
      // The default (1000 recipients an hour per user) would stop the bench after 1000 messages.
      limits: { sending: { recipients: MESSAGES + SESSIONS, windowSeconds: 3600 }, maxConnectionsPerIp: SESSIONS + 5 },
      log: quiet,
    });
    const port = await server.listen(0, "127.0.0.1");
    closers.push(() => server.close());

    console.log(
      `submission bench: ${MESSAGES} messages x ${SIZE} bytes, ${SESSIONS} parallel sessions ` +
        `(${IMPLICIT_TLS ? "implicit TLS" : "STARTTLS"} + AUTH PLAIN, nodemailer), ` +
        (RELAY ? `relay in process (startRelay, 20 concurrent deliveries, DKIM on) to smtp-sink 127.0.0.1:${sinkPort}` : "no relay: up to the queue only"),
    );

    if (RELAY) {
      const relay = await startRelay(config, quiet);
      closers.push(() => relay.close());
      await new Promise((r) => setTimeout(r, 300)); // LISTEN established
    }

    const transports = Array.from({ length: SESSIONS }, () =>
      nodemailer.createTransport({
        host: "127.0.0.1",
        port,
        secure: IMPLICIT_TLS,
        requireTLS: !IMPLICIT_TLS,
        tls: { rejectUnauthorized: false },
        auth: { user: from, pass: PASSWORD },
        pool: true,
        maxConnections: 1,
        maxMessages: Infinity,
        name: "bench.client",
      }),
    );
    closers.push(async () => transports.forEach((t) => t.close()));

    // Log the sessions in one after another: the shared failed-login limiter counts logins in
    // flight from one address against its limit of 10 (lib/auth/rate-limit.ts), so 20 parallel
    // AUTHs from 127.0.0.1 would be refused. One warm-up message each, not measured.
    for (const [k, transport] of transports.entries()) {
      await transport.sendMail({ envelope: { from, to: [`warmup${k}@sink.test`] }, raw: message(MESSAGES + k, from) });
    }
    const warmups = transports.length;
    if (RELAY) {
      for (;;) {
        const r = await getPool().query<{ n: number }>("SELECT count(*)::int AS n FROM outbound_recipients WHERE status <> 'QUEUED'");
        if (r.rows[0].n >= warmups) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let next = 0;
    const latency: number[] = [];
    let refused = 0;
    await Promise.all(
      transports.map(async (transport) => {
        for (;;) {
          const i = next++;
          if (i >= MESSAGES) return;
          const s = performance.now();
          try {
            await transport.sendMail({ envelope: { from, to: [`rcpt${i}@sink.test`] }, raw: message(i, from) });
            latency.push(performance.now() - s);
          } catch (err) {
            if (refused++ < 3) console.error(`message ${i} refused: ${(err as Error).message}`);
          }
        }
      }),
    );
    const tSubmitted = performance.now();
    const cpuSubmit = process.cpuUsage(cpu0);

    let delivered = 0;
    if (RELAY) {
      for (;;) {
        const r = await getPool().query<{ status: string; n: number }>("SELECT status, count(*)::int AS n FROM outbound_recipients GROUP BY status");
        const by = Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
        delivered = (by.DELIVERED ?? 0) - warmups;
        const accepted = MESSAGES - refused;
        if (delivered + (by.BOUNCED ?? 0) >= accepted) {
          if (by.BOUNCED) console.log(`warning: ${by.BOUNCED} bounced`);
          break;
        }
        if ((by.DEFERRED ?? 0) > 0 && delivered + (by.DEFERRED ?? 0) + (by.BOUNCED ?? 0) >= accepted) {
          const e = await getPool().query("SELECT last_error FROM outbound_recipients WHERE status = 'DEFERRED' LIMIT 1");
          console.log(`warning: ${by.DEFERRED} deferred, e.g. ${e.rows[0]?.last_error}`);
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const tDone = performance.now();
    const cpu = process.cpuUsage(cpu0);

    const queued = await getPool().query<{ n: number }>("SELECT count(*)::int - $1 AS n FROM outbound_messages WHERE source = 'submission'", [warmups]);
    latency.sort((a, b) => a - b);
    const secs = (ms: number) => (ms / 1000).toFixed(2);
    const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
    if (refused) console.log(`warning: ${refused} messages refused`);
    console.log(
      `submission: ${latency.length} accepted (250) in ${secs(tSubmitted - t0)} s = ${rate(latency.length, tSubmitted - t0)} msg/s ` +
        `(${((latency.length * SIZE) / 1024 / 1024 / ((tSubmitted - t0) / 1000)).toFixed(1)} MiB/s); ${queued.rows[0].n} rows in outbound_messages`,
    );
    console.log(
      `submission latency (DATA sent → 250) ms: p50 ${pct(latency, 50).toFixed(1)} p95 ${pct(latency, 95).toFixed(1)} p99 ${pct(latency, 99).toFixed(1)} max ${latency[latency.length - 1].toFixed(1)}`,
    );
    if (RELAY) {
      console.log(`end to end: ${delivered} delivered to smtp-sink in ${secs(tDone - t0)} s = ${rate(delivered, tDone - t0)} msg/s`);
      const lat = await getPool().query<{ ms: number }>(
        `SELECT EXTRACT(EPOCH FROM (r.updated_at - m.created_at)) * 1000 AS ms
         FROM outbound_recipients r JOIN outbound_messages m ON m.id = r.message_id
         WHERE r.status = 'DELIVERED' AND r.address NOT LIKE 'warmup%' ORDER BY 1`,
      );
      const e2e = lat.rows.map((x) => Number(x.ms));
      if (e2e.length) console.log(`queued → delivered latency ms: p50 ${pct(e2e, 50).toFixed(0)} p95 ${pct(e2e, 95).toFixed(0)} p99 ${pct(e2e, 99).toFixed(0)} max ${e2e[e2e.length - 1].toFixed(0)}`);
      const retried = await getPool().query<{ n: number }>("SELECT count(*)::int AS n FROM outbound_recipients WHERE attempts <> 1");
      if (retried.rows[0].n) console.log(`note: ${retried.rows[0].n} recipients took more than one attempt`);
    }
    console.log(
      `this process used ${((cpuSubmit.user + cpuSubmit.system) / 1000 / MESSAGES).toFixed(2)} ms CPU per message while submitting ` +
        `(clients + server${RELAY ? " + relay" : ""}), ${((cpu.user + cpu.system) / 1000 / MESSAGES).toFixed(2)} ms in all; ` +
        `machine load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs (Postgres on the same machine)`,
    );
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    sink.kill("SIGTERM");
    dns.close();
    await disconnectDatabase();
    fs.rmSync(dataDir, { recursive: true, force: true });
    const d = new pg.Client({ connectionString: admin.toString() });
    await d.connect();
    await d.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await d.end();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
