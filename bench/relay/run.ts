// Outbound relay throughput: N messages of S bytes enqueued by P parallel producers through
// enqueueMessage (what submission on port 587 and the webmail will call; the submission server
// does not exist yet), through the Postgres queue and the relay (MX lookup via a DNS server on
// 127.0.0.1, DKIM signing, SMTP with nodemailer) to Postfix's smtp-sink on 127.0.0.1.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/relay/run.ts \
//     [--messages 10000] [--producers 20] [--size 10240] [--relays 1] [--concurrency 20] [--no-dkim]
//     [--relay-processes N] [--phased]
//
// Needs smtp-sink (Debian: apt-get install postfix; no postfix daemon needs to run). Works in a
// scratch database created next to DATABASE_URL's and dropped at the end. Not part of npm test.

import { spawn } from "node:child_process";
import net from "node:net";
import dns2 from "dns2";
import pg from "pg";
import { addDomain } from "../../lib/accounts/domains.ts";
import { addUser } from "../../lib/accounts/users.ts";
import { parseConfig } from "../../lib/config.ts";
import { connectDatabase, disconnectDatabase, getPool } from "../../lib/db/client.ts";
import { migrate } from "../../lib/db/migrate.ts";
import { createQueueContext } from "../../lib/queue/context.ts";
import { enqueueMessage } from "../../lib/queue/enqueue.ts";
import { createQueueWorker } from "../../lib/queue/worker.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const MESSAGES = arg("messages", 10_000);
const PRODUCERS = arg("producers", 20);
const SIZE = arg("size", 10 * 1024);
const RELAYS = arg("relays", 1);
/** Relays as separate processes (workers/relay.ts, as deployed) instead of in this process. */
const RELAY_PROCESSES = arg("relay-processes", 0);
const CONCURRENCY = arg("concurrency", 20);
const DKIM = !process.argv.includes("--no-dkim");
/** Enqueue everything first, then start the relay: separate figures for each side. */
const PHASED = process.argv.includes("--phased");

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

function message(i: number, from: string): Buffer {
  const head = [
    `From: Bench <${from}>`,
    `To: <rcpt${i}@sink.test>`,
    `Subject: bench message ${i}`,
    `Date: ${new Date().toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <bench-${i}-${process.pid}@bench.pigeon.test>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "",
  ].join("\r\n");
  const line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghij\r\n";
  let body = "";
  while (head.length + body.length < SIZE) body += line;
  return Buffer.from(head + body.slice(0, SIZE - head.length));
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error("set DATABASE_URL (a Postgres the bench may create a scratch database in)");
  const admin = new URL(base);
  admin.pathname = "/postgres";
  const dbName = `pigeon_bench_${process.pid}`;
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`CREATE DATABASE ${dbName}`);
  await c.end();
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  const dns = await startDns();
  const sinkPort = await freePort();
  const sink = await startSink(sinkPort);

  try {
    await migrate(url.toString());
    connectDatabase(url.toString(), PRODUCERS + RELAYS * CONCURRENCY + 10);
    const config = parseConfig({
      DATABASE_URL: url.toString(),
      MAIL_HOSTNAME: "bench.pigeon.test",
      DNS_SERVERS: dns.server,
      OUTBOUND_SMTP_PORT: String(sinkPort),
    });
    const domain = DKIM ? "bench.test" : "unsigned.invalid";
    let from = "sender@unsigned.invalid";
    if (DKIM) {
      await addDomain({ name: domain });
      from = (await addUser({ email: `sender@${domain}`, password: "bench password" })).email;
    }
    const quiet = () => undefined;
    const ctx = createQueueContext({ config, log: quiet });

    console.log(
      `relay bench: ${MESSAGES} messages x ${SIZE} bytes, ${PRODUCERS} producers (enqueueMessage), ` +
        `${RELAY_PROCESSES ? `${RELAY_PROCESSES} relay process(es) (workers/relay.ts, 20 concurrent each)` : `${RELAYS} in-process relay worker(s) x ${CONCURRENCY} concurrent`} deliveries, DKIM ${DKIM ? "on" : "off"}, sink smtp-sink 127.0.0.1:${sinkPort}`,
    );

    const workers = RELAY_PROCESSES ? [] : Array.from({ length: RELAYS }, () => createQueueWorker({ config, log: quiet, concurrency: CONCURRENCY }));
    const children: ReturnType<typeof spawn>[] = [];
    const startRelays = async () => {
      for (const w of workers) w.start();
      for (let i = 0; i < RELAY_PROCESSES; i++) {
        const child = spawn(process.execPath, [...(process.env.RELAY_NODE_ARGS?.split(" ").filter(Boolean) ?? []), "--import", "tsx", "workers/relay.ts"], {
          cwd: new URL("../..", import.meta.url).pathname,
          env: { ...process.env, DATABASE_URL: url.toString(), DNS_SERVERS: dns.server, OUTBOUND_SMTP_PORT: String(sinkPort), MAIL_HOSTNAME: "bench.pigeon.test" },
          stdio: ["ignore", "pipe", "inherit"],
        });
        children.push(child);
        await new Promise<void>((resolve) => {
          let out = "";
          child.stdout!.on("data", (d: Buffer) => {
            if (out.length < 10_000) out += d.toString();
            if (out.includes("listening on")) resolve();
          });
        });
        child.stdout!.resume();
      }
      await new Promise((r) => setTimeout(r, 300)); // LISTEN established
    };
    /** CPU seconds the relay processes used so far (Linux /proc; 0 elsewhere). */
    const relayCpuSeconds = async () => {
      const fs = await import("node:fs");
      let ticks = 0;
      for (const c of children) {
        try {
          const f = fs.readFileSync(`/proc/${c.pid}/stat`, "utf8").split(") ")[1].split(" ");
          ticks += Number(f[11]) + Number(f[12]); // utime, stime
        } catch {
          // not Linux
        }
      }
      return ticks / 100;
    };
    const stopRelays = async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(children.map((c) => new Promise((r) => (c.once("exit", r), c.kill("SIGTERM")))));
    };
    if (!PHASED) await startRelays();

    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let next = 0;
    const enqueueLatency: number[] = [];
    await Promise.all(
      Array.from({ length: PRODUCERS }, async () => {
        for (;;) {
          const i = next++;
          if (i >= MESSAGES) return;
          const raw = message(i, from);
          const s = performance.now();
          await enqueueMessage({ sender: from, recipients: [`rcpt${i}@sink.test`], raw, source: "submission" }, { ctx });
          enqueueLatency.push(performance.now() - s);
        }
      }),
    );
    const tEnqueued = performance.now();
    let tRelayStart = t0;
    const cpuEnqueue = process.cpuUsage(cpu0);
    if (PHASED) {
      tRelayStart = performance.now();
      await startRelays();
    }

    let delivered = 0;
    for (;;) {
      const r = await getPool().query<{ status: string; n: number }>("SELECT status, count(*)::int AS n FROM outbound_recipients GROUP BY status");
      const by = Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
      delivered = by.DELIVERED ?? 0;
      if (delivered + (by.BOUNCED ?? 0) >= MESSAGES) {
        if (by.BOUNCED) console.log(`warning: ${by.BOUNCED} bounced`);
        break;
      }
      if ((by.DEFERRED ?? 0) > 0 && delivered + (by.DEFERRED ?? 0) + (by.BOUNCED ?? 0) >= MESSAGES) {
        const e = await getPool().query("SELECT last_error FROM outbound_recipients WHERE status = 'DEFERRED' LIMIT 1");
        console.log(`warning: ${by.DEFERRED} deferred, e.g. ${e.rows[0]?.last_error}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const tDone = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const relayCpu = await relayCpuSeconds();
    await stopRelays();

    const lat = await getPool().query<{ ms: number }>(
      `SELECT EXTRACT(EPOCH FROM (r.updated_at - m.created_at)) * 1000 AS ms
       FROM outbound_recipients r JOIN outbound_messages m ON m.id = r.message_id WHERE r.status = 'DELIVERED' ORDER BY 1`,
    );
    const e2e = lat.rows.map((x) => Number(x.ms));
    const retried = await getPool().query<{ n: number }>("SELECT count(*)::int AS n FROM outbound_recipients WHERE attempts <> 1");
    if (retried.rows[0].n) console.log(`note: ${retried.rows[0].n} recipients took more than one attempt`);
    enqueueLatency.sort((a, b) => a - b);
    const secs = (ms: number) => (ms / 1000).toFixed(2);
    console.log(`enqueue:    ${MESSAGES} in ${secs(tEnqueued - t0)} s = ${Math.round(MESSAGES / ((tEnqueued - t0) / 1000))} msg/s; latency ms p50 ${pct(enqueueLatency, 50).toFixed(1)} p95 ${pct(enqueueLatency, 95).toFixed(1)} p99 ${pct(enqueueLatency, 99).toFixed(1)}`);
    const label = PHASED ? "relay only:" : "end to end:";
    const span = tDone - tRelayStart;
    console.log(`${label} ${delivered} delivered in ${secs(span)} s = ${Math.round(delivered / (span / 1000))} msg/s (${((delivered * SIZE) / 1024 / 1024 / (span / 1000)).toFixed(1)} MiB/s)`);
    if (RELAY_PROCESSES) console.log(`relay processes used ${((relayCpu * 1000) / MESSAGES).toFixed(2)} ms CPU per message (startup included)`);
    if (PHASED) console.log(`enqueue used ${((cpuEnqueue.user + cpuEnqueue.system) / 1000 / MESSAGES).toFixed(2)} ms CPU per message`);
    console.log(
      `this process used ${((cpu.user + cpu.system) / 1000 / MESSAGES).toFixed(2)} ms CPU per message ` +
        `(${RELAY_PROCESSES ? "producers only" : "producers + relay"}; machine load average ${(await import("node:os")).loadavg()[0].toFixed(1)} on ${(await import("node:os")).cpus().length} CPUs)`,
    );
    if (e2e.length && !PHASED) console.log(`enqueue→250 latency ms: p50 ${pct(e2e, 50).toFixed(0)} p95 ${pct(e2e, 95).toFixed(0)} p99 ${pct(e2e, 99).toFixed(0)} max ${e2e[e2e.length - 1].toFixed(0)}`);
  } finally {
    sink.kill("SIGTERM");
    dns.close();
    await disconnectDatabase();
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
