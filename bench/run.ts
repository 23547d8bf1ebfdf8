// `npm run bench` (issue 11): Pigeon as `npm start` runs it (production build) beside Debian's
// Postfix and Dovecot, started privately in the same run, driven by the same load generators, and
// one table with each figure for Pigeon, for the peer, and how they compare.
//
//   npm run bench [-- --quick] [-- --only smtp,imap,pop3,memory,web] [-- --json FILE]
//
// Full sizes: SMTP 10,000 messages of 10 KB over 20 parallel sessions; IMAP on a 100,000-message
// INBOX (1,000 APPENDs, 300 sessions by 10 clients); POP3 RETR of 1,000 messages; 1,000 idle IMAP
// connections; web on the same 100,000-message INBOX. --quick: 1,000 SMTP messages, a 10,000-message
// INBOX, 200 APPENDs, 100 sessions, 200 idle connections.
//
// Needs: root (Dovecot and Postfix run as Debian's service users), a Postgres server where scratch
// databases may be created (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres),
// apt-get install -y postfix dovecot-imapd dovecot-pop3d dovecot-lmtpd (their system daemons need
// not run; nothing binds a port below 1024 or another address than 127.0.0.1). PIGEON_DIR: serve
// Pigeon from another checkout (see bench/lib/pigeon.ts). BENCH_KEEP=1 keeps the temp dirs.
// Not part of `npm test`.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { addDomain } from "../lib/accounts/domains.ts";
import { addUser } from "../lib/accounts/users.ts";
import { parseConfig } from "../lib/config.ts";
import { connectDatabase, disconnectDatabase, getPool } from "../lib/db/client.ts";
import { migrate } from "../lib/db/migrate.ts";
import { appendMessages } from "../lib/mail/append.ts";
import { getMailboxOrThrow } from "../lib/mail/mailboxes.ts";
import { getTlsMaterial } from "../lib/tls.ts";
import { startTestDns, type TestDns } from "../tests/helpers/test-dns.ts";
import { benchMessage, corpus } from "./imap/corpus.ts";
import { dovecotAvailable, startDovecot, type DovecotInstance } from "./lib/dovecot.ts";
import { benchInternalDate, loadOverImap, measureImap, openIdleConnections, SEARCH_WORDS, type ImapFigures, type ImapTarget } from "./lib/imap.ts";
import { createScratchDatabase, startPigeonProduction, type PigeonProcess, type ScratchDatabase } from "./lib/pigeon.ts";
import { bestRetrRate, writeMaildir } from "./lib/pop3.ts";
import { postfixAvailable, startPostfix, type PostfixInstance } from "./lib/postfix.ts";
import { maildirCount, smtpSourcePath, smtpSourceRun } from "./lib/smtp.ts";
import { descendants, flag, loadAverage, log, median, numberOption, option, processMemory, processesNamed, settle, sleep } from "./lib/util.ts";
import { measureWeb, type WebFigures } from "./lib/web.ts";

const QUICK = flag("quick");
const SECTIONS = new Set((option("only") ?? "smtp,imap,pop3,memory,web").split(","));
const SIZES = {
  smtpMessages: numberOption("smtp-messages", QUICK ? 1_000 : 10_000),
  smtpSessions: 20,
  smtpSize: 10 * 1024,
  mailbox: numberOption("mailbox", QUICK ? 10_000 : 100_000),
  appends: numberOption("appends", QUICK ? 200 : 1_000),
  sessions: numberOption("sessions", QUICK ? 100 : 300),
  parallel: 10,
  pop3Messages: 1_000,
  pop3Rounds: 3,
  idle: numberOption("idle", QUICK ? 200 : 1_000),
  webSamples: numberOption("web-samples", QUICK ? 20 : 40),
};
const DOMAIN = "bench.test";
const PASSWORD = "bench password 11";
const SENDER = "load@sender.bench.test";

type Better = "higher" | "lower";
interface Row {
  section: string;
  figure: string;
  unit: string;
  better: Better;
  pigeon?: number;
  peer?: number;
  peerName?: string;
  load: string;
  note?: string;
  /** Supplementary: printed, not among the figures (nor a candidate for "worst"). */
  extra?: boolean;
}
const rows: Row[] = [];
const record = (r: Row) => {
  rows.push(r);
  log(`${r.figure}: Pigeon ${fmt(r.pigeon)} ${r.unit}, ${r.peerName ?? "-"} ${fmt(r.peer)} (load ${r.load})`);
};

function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return "-";
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString("en-US");
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** How Pigeon stands: >1 means Pigeon is better by that factor, <1 worse. */
function standing(r: Row): number | undefined {
  if (r.pigeon === undefined || r.peer === undefined || !r.pigeon || !r.peer) return undefined;
  return r.better === "higher" ? r.pigeon / r.peer : r.peer / r.pigeon;
}

function describe(r: Row): string {
  const s = standing(r);
  if (s === undefined) return "-";
  const word = r.better === "higher" ? (r.unit.includes("/s") ? ["faster", "slower"] : ["more", "less"]) : r.unit.includes("ms") ? ["faster", "slower"] : ["smaller", "larger"];
  return s >= 1 ? `${s.toFixed(2)}× ${word[0]}` : `${(1 / s).toFixed(2)}× ${word[1]}`;
}

/** The soft and hard limits on open files; raised for this process (children inherit) with prlimit. */
function raiseFileLimit(want: number) {
  const limits = fs.readFileSync("/proc/self/limits", "utf8");
  const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(limits);
  const soft = m?.[1] === "unlimited" ? Infinity : Number(m?.[1] ?? 0);
  if (soft >= want) return;
  try {
    execFileSync("prlimit", ["--pid", String(process.pid), `--nofile=${want}:${want}`]);
    log(`raised the open-file limit from ${soft} to ${want}`);
  } catch (err) {
    log(`could not raise the open-file limit (${soft}): ${(err as Error).message}; run \`ulimit -n ${want}\` first`);
  }
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? "?";
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

function versions(): Record<string, string> {
  const v = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8" }).trim().split("\n")[0];
    } catch {
      return "?";
    }
  };
  return {
    dovecot: v("dovecot", ["--version"]),
    postfix: v("postconf", ["-dh", "mail_version"]),
    postgres: "",
  };
}

/** Before each side's measurement: the previous one's leftovers written out, then a quiet machine. */
async function quiet(label: string): Promise<string> {
  await getPool().query("CHECKPOINT").catch(() => undefined);
  const seen = await settle();
  log(`${label}: ${seen}`);
  return loadAverage();
}

async function main() {
  const started = Date.now();
  const want = (s: string) => SECTIONS.has(s);
  const needBig = want("imap") || want("web");
  const needPeer = want("smtp") || want("imap") || want("pop3") || want("memory");
  const problems = [needPeer ? dovecotAvailable() : undefined, want("smtp") ? postfixAvailable() : undefined, want("smtp") && !smtpSourcePath ? "smtp-source missing: apt-get install -y postfix" : undefined].filter(Boolean);
  if (problems.length) throw new Error(problems.join("\n"));
  if (process.getuid?.() !== 0 && needPeer) throw new Error("the bench starts Dovecot and Postfix with Debian's service users: run it as root");
  raiseFileLimit(Math.max(8192, 4 * SIZES.idle + 2048));
  corpus();

  const info = versions();
  log(`machine: ${machine()}; load average ${loadAverage()}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-bench-"));
  fs.chmodSync(tmp, 0o755);
  const cleanups: (() => Promise<unknown>)[] = [];
  let cleaning = false;
  const cleanup = async () => {
    if (cleaning) return;
    cleaning = true;
    for (const c of cleanups.reverse()) await c().catch((err) => log(`cleanup: ${(err as Error).message}`));
    if (!process.env.BENCH_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      log(`${signal}: stopping`);
      void cleanup().then(() => process.exit(130));
    });
  }
  const watchdogMinutes = numberOption("max-minutes", QUICK ? 30 : 120);
  const watchdog = setTimeout(() => {
    log(`the bench ran longer than ${watchdogMinutes} minutes: stopping`);
    void cleanup().then(() => process.exit(2));
  }, watchdogMinutes * 60_000);
  watchdog.unref();

  let db: ScratchDatabase | undefined;
  let pigeon: PigeonProcess | undefined;
  let dovecot: DovecotInstance | undefined;
  let postfix: PostfixInstance | undefined;
  let dns: TestDns | undefined;
  let webFigures: WebFigures | undefined;
  try {
    // --- Pigeon's database: migrations, the bench domain and users, the big INBOX -------------
    db = await createScratchDatabase("pigeon_bench11");
    const scratch = db;
    cleanups.push(() => scratch.drop());
    await migrate(db.url);
    connectDatabase(db.url, 10);
    cleanups.push(() => disconnectDatabase());
    info.postgres = (await getPool().query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
    const pgSettings = (
      await getPool().query<{ name: string; setting: string }>(
        "SELECT name, setting FROM pg_settings WHERE name IN ('fsync','synchronous_commit','shared_buffers','full_page_writes') ORDER BY name",
      )
    ).rows
      .map((r) => `${r.name}=${r.setting}`)
      .join(" ");
    await addDomain({ name: DOMAIN });
    const users: Record<string, { id: number; email: string; hash: string }> = {};
    const makeUser = async (local: string) => {
      const u = await addUser({ email: `${local}@${DOMAIN}`, password: PASSWORD, quotaBytes: 1e13 });
      const hash = (await getPool().query<{ password_hash: string }>("SELECT password_hash FROM users WHERE id = $1", [u.id])).rows[0].password_hash;
      users[local] = { id: u.id, email: u.email, hash };
    };
    for (const local of ["big", "pop", "smtp-new", "smtp-reuse"]) await makeUser(local);

    const loadPigeon = async (local: string, count: number) => {
      const inbox = await getMailboxOrThrow({ userId: users[local].id, name: "INBOX" });
      const t = Date.now();
      for (let i = 0; i < count; i += 250) {
        const batch = [];
        for (let j = i; j < Math.min(count, i + 250); j++) batch.push({ raw: benchMessage(j), internalDate: benchInternalDate(j) });
        await appendMessages({ userId: users[local].id, mailboxId: inbox.id, messages: batch });
        if ((i / 250) % 40 === 0) log(`pigeon: ${local}@ loaded ${i + batch.length}/${count} (lib/mail appendMessages)`);
      }
      return (Date.now() - t) / 1000;
    };
    let pigeonLoadSeconds = 0;
    if (needBig) pigeonLoadSeconds = await loadPigeon("big", SIZES.mailbox);
    if (want("pop3") || want("memory")) await loadPigeon("pop", SIZES.pop3Messages);
    // As autovacuum would after a bulk load: planner statistics and the visibility map.
    await getPool().query("VACUUM ANALYZE");

    // --- Pigeon, as `npm start` runs it ------------------------------------------------------
    dns = await startTestDns({
      "sender.bench.test": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
      "_dmarc.sender.bench.test": { TXT: ["v=DMARC1; p=none"] },
    });
    const testDns = dns;
    cleanups.push(() => testDns.close());
    const dataDir = path.join(tmp, "pigeon-data");
    fs.mkdirSync(dataDir);
    const tlsMaterial = await getTlsMaterial(parseConfig({ DATA_DIR: dataDir, MAIL_HOSTNAME: "mx.bench.test" }));
    log("starting Pigeon (workers/start.ts, production web)…");
    pigeon = await startPigeonProduction({
      databaseUrl: db.url,
      dataDir,
      dnsServers: dns.address,
      adminEmail: `admin@${DOMAIN}`,
      adminPassword: PASSWORD,
    });
    const pigeonProc = pigeon;
    cleanups.push(() => pigeonProc.stop());
    log(`Pigeon up: pid ${pigeon.pid}, ${pigeon.webUrl}`);

    // --- Dovecot (IMAP, POP3, LMTP) and Postfix → Dovecot ------------------------------------
    if (needPeer) {
      dovecot = await startDovecot({
        users: [
          { name: users.big.email, passwordHash: users.big.hash, mail: "mdbox:~/mdbox" },
          { name: users.pop.email, passwordHash: users.pop.hash },
          { name: users["smtp-new"].email, passwordHash: users["smtp-new"].hash },
          { name: users["smtp-reuse"].email, passwordHash: users["smtp-reuse"].hash },
        ],
        cert: tlsMaterial.cert,
        key: tlsMaterial.key,
        maxConnections: SIZES.idle,
      });
      const dc = dovecot;
      cleanups.push(() => dc.stop());
      if (want("pop3") || want("memory")) {
        writeMaildir(
          path.join(dovecot.home(users.pop.email), "Maildir"),
          Array.from({ length: SIZES.pop3Messages }, (_, i) => benchMessage(i)),
        );
        dovecot.fixOwnership(users.pop.email);
      }
      log(`Dovecot up: IMAPS ${dovecot.imapsPort}, POP3S ${dovecot.pop3sPort}, LMTP ${dovecot.lmtpPort}`);
    }
    if (want("smtp")) {
      postfix = await startPostfix({ domain: DOMAIN, recipients: [users["smtp-new"].email, users["smtp-reuse"].email], lmtpPort: dovecot!.lmtpPort });
      const pf = postfix;
      cleanups.push(() => pf.stop());
      log(`Postfix up: smtpd on 127.0.0.1:${postfix.port} → LMTP 127.0.0.1:${dovecot!.lmtpPort}`);
    }

    // --- Memory per idle IMAP connection --------------------------------------------------------
    if (want("memory")) {
      // First, while Pigeon's process is fresh: its RSS moves with garbage collection, and the
      // other sections leave garbage behind.
      const n = SIZES.idle;
      await sleep(5000);
      const loadP = await quiet("memory, Pigeon");
      const before = processMemory(pigeon.pid);
      const pc = await openIdleConnections({ name: "pigeon", port: pigeon.ports.imaps, user: users.pop.email, password: PASSWORD }, n);
      await sleep(10_000);
      const after = processMemory(pigeon.pid);
      await pc.close();
      log(`pigeon: ${pc.sockets.length} idle connections; workers/start.ts RSS ${(before.rss / 2 ** 20).toFixed(0)} → ${(after.rss / 2 ** 20).toFixed(0)} MiB`);
      await sleep(2000);
      const loadD = await quiet("memory, Dovecot");
      const dc = await openIdleConnections({ name: "dovecot", port: dovecot!.imapsPort, user: users.pop.email, password: PASSWORD }, n);
      await sleep(5000);
      const tree = descendants(dovecot!.pid);
      const sum = (pids: number[]) => pids.map(processMemory).reduce((a, m) => ({ rss: a.rss + m.rss, pss: a.pss + m.pss }), { rss: 0, pss: 0 });
      const imapProcs = processesNamed("dovecot/imap", tree);
      const loginProcs = processesNamed("dovecot/imap-login", tree);
      const imap = sum(imapProcs);
      const login = sum(loginProcs);
      await dc.close();
      log(`dovecot: ${dc.sockets.length} idle connections; ${imapProcs.length} imap processes RSS ${(imap.rss / 2 ** 20).toFixed(0)} MiB (PSS ${(imap.pss / 2 ** 20).toFixed(0)}), ${loginProcs.length} imap-login RSS ${(login.rss / 2 ** 20).toFixed(0)} MiB (PSS ${(login.pss / 2 ** 20).toFixed(0)})`);
      const base = { section: "Memory", peerName: "Dovecot", load: `${loadP} / ${loadD}`, unit: "KiB", better: "lower" as const };
      record({
        ...base,
        figure: `RSS per idle IMAP connection (${n.toLocaleString("en-US")} in IDLE over TLS): Pigeon process growth ÷ ${n} vs Dovecot imap processes ÷ ${n}`,
        pigeon: (after.rss - before.rss) / n / 1024,
        peer: imap.rss / n / 1024,
        note: `Pigeon process ${(before.rss / 2 ** 20).toFixed(0)} → ${(after.rss / 2 ** 20).toFixed(0)} MiB; Dovecot ${imapProcs.length} imap processes ${(imap.rss / 2 ** 20).toFixed(0)} MiB`,
      });
      record({
        ...base,
        figure: `whole Pigeon process RSS (SMTP, POP3, relay too) ÷ ${n} vs Dovecot imap processes ÷ ${n}`,
        extra: true,
        pigeon: after.rss / n / 1024,
        peer: imap.rss / n / 1024,
      });
      record({
        ...base,
        figure: `PSS per idle IMAP connection, Dovecot's TLS login processes included`,
        extra: true,
        pigeon: (after.pss - before.pss) / n / 1024,
        peer: (imap.pss + login.pss) / n / 1024,
        note: `Dovecot imap ${(imap.pss / 2 ** 20).toFixed(0)} MiB + ${loginProcs.length} imap-login ${(login.pss / 2 ** 20).toFixed(0)} MiB PSS`,
      });
    }

    // --- SMTP inbound ------------------------------------------------------------------------
    if (want("smtp")) {
      for (const reuse of [false, true]) {
        const local = reuse ? "smtp-reuse" : "smtp-new";
        const common = { sender: SENDER, recipient: users[local].email, messages: SIZES.smtpMessages, sessions: SIZES.smtpSessions, size: SIZES.smtpSize, reuse };
        const loadP = await quiet(`${local}, Pigeon`);
        const logFrom = pigeon.output().length;
        const p = await smtpSourceRun({
          ...common,
          port: pigeon.ports.smtp,
          stored: async () => (await getPool().query<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE user_id = $1", [users[local].id])).rows[0].n,
        });
        log(`pigeon: $ smtp-source ${p.args.join(" ")} → ${p.stored}/${p.messages} stored in ${p.seconds.toFixed(1)} s (accepted in ${p.acceptSeconds.toFixed(1)} s, exit ${p.exitCode})`);
        if (p.exitCode !== 0) log(p.output);
        // The MX logs each delivery's mailauth and store times: where a message's time goes.
        const timings = [...pigeon.output().slice(logFrom).matchAll(/ auth=(\d+)ms store=(\d+)ms/g)];
        const mxTimes = `MX auth p50 ${median(timings.map((t) => Number(t[1])))} ms, store p50 ${median(timings.map((t) => Number(t[2])))} ms`;
        log(`pigeon: ${mxTimes} over ${timings.length} deliveries`);
        const loadD = await quiet(`${local}, Postfix`);
        const maildir = path.join(dovecot!.home(users[local].email), "Maildir");
        const d = await smtpSourceRun({ ...common, port: postfix!.port, stored: async () => maildirCount(maildir) });
        log(`postfix: $ smtp-source ${d.args.join(" ")} → ${d.stored}/${d.messages} stored in ${d.seconds.toFixed(1)} s (accepted in ${d.acceptSeconds.toFixed(1)} s, exit ${d.exitCode})`);
        if (d.exitCode !== 0) log(d.output);
        record({
          section: "SMTP inbound",
          figure: `stored msg/s, ${SIZES.smtpMessages.toLocaleString("en-US")} × 10 KB, 20 sessions, ${reuse ? "reused connections (-d)" : "new connection per message"}`,
          unit: "msg/s",
          better: "higher",
          pigeon: p.perSecond,
          peer: d.perSecond,
          peerName: "Postfix→Dovecot",
          load: `${loadP} / ${loadD}`,
          note: `${p.stored}/${d.stored} stored; accepted in ${p.acceptSeconds.toFixed(1)} s / ${d.acceptSeconds.toFixed(1)} s; Pigeon ${mxTimes}`,
        });
      }
    }

    // --- IMAP ---------------------------------------------------------------------------------
    if (want("imap")) {
      const pigeonImap: ImapTarget = { name: "pigeon", port: pigeon.ports.imaps, user: users.big.email, password: PASSWORD };
      const dovecotImap: ImapTarget = { name: "dovecot", port: dovecot!.imapsPort, user: users.big.email, password: PASSWORD };
      const dovecotLoad = await loadOverImap(dovecotImap, SIZES.mailbox);
      log(`mailbox load: pigeon ${pigeonLoadSeconds.toFixed(0)} s (lib/mail, 250 per transaction), dovecot ${dovecotLoad.toFixed(0)} s (MULTIAPPEND, 250 per command)`);
      const opts = { appends: SIZES.appends, sessions: SIZES.sessions, parallel: SIZES.parallel, minMessages: SIZES.mailbox };
      const loadP = await quiet("imap, Pigeon");
      const p: ImapFigures = await measureImap(pigeonImap, opts);
      const loadD = await quiet("imap, Dovecot");
      const d: ImapFigures = await measureImap(dovecotImap, opts);
      const load = `${loadP} / ${loadD}`;
      const m = SIZES.mailbox.toLocaleString("en-US");
      const base = { section: "IMAP", peerName: "Dovecot", load };
      record({ ...base, figure: `sessions/s, 10 parallel clients (login, SELECT ${m}, FETCH 10 headers, LOGOUT)`, unit: "sessions/s", better: "higher", pigeon: p.sessionsPerSecond, peer: d.sessionsPerSecond });
      record({ ...base, figure: `FETCH 50 ENVELOPE, ${m}-message INBOX (median)`, unit: "ms", better: "lower", pigeon: p.envelopes50Ms, peer: d.envelopes50Ms });
      for (const w of SEARCH_WORDS) {
        record({
          ...base,
          figure: `UID SEARCH TEXT "${w}", ${m}-message INBOX (median)`,
          unit: "ms",
          better: "lower",
          pigeon: p.searchText[w].ms,
          peer: d.searchText[w].ms,
          note: `hits ${p.searchText[w].hits} / ${d.searchText[w].hits}`,
        });
      }
      record({ ...base, figure: "APPEND/s, 1 client, one message per command", unit: "msg/s", better: "higher", pigeon: p.appendsPerSecond, peer: d.appendsPerSecond });
      record({ ...base, figure: `SELECT INBOX, ${m} messages (median)`, unit: "ms", better: "lower", pigeon: p.selectMs, peer: d.selectMs, extra: true });
    }

    // --- POP3 ---------------------------------------------------------------------------------
    if (want("pop3")) {
      const loadP = await quiet("pop3, Pigeon");
      const p = await bestRetrRate(pigeon.ports.pop3s, users.pop.email, PASSWORD, SIZES.pop3Rounds);
      const loadD = await quiet("pop3, Dovecot");
      const d = await bestRetrRate(dovecot!.pop3sPort, users.pop.email, PASSWORD, SIZES.pop3Rounds);
      record({
        section: "POP3",
        figure: `RETR MB/s over TLS, ${SIZES.pop3Messages.toLocaleString("en-US")} messages (${(p.bytes / 1e6).toFixed(1)} MB), best of ${SIZES.pop3Rounds}`,
        unit: "MB/s",
        better: "higher",
        pigeon: p.mbps,
        peer: d.mbps,
        peerName: "Dovecot",
        load: `${loadP} / ${loadD}`,
        note: `${p.count} / ${d.count} messages`,
      });
    }

    // --- Web ------------------------------------------------------------------------------------
    if (want("web")) {
      const load = await quiet("web, Pigeon");
      webFigures = await measureWeb({ url: pigeon.webUrl, email: users.big.email, password: PASSWORD, samples: SIZES.webSamples, messages: SIZES.mailbox });
      const m = SIZES.mailbox.toLocaleString("en-US");
      const base = { section: "Web", load, unit: "ms", better: "lower" as const };
      record({ ...base, figure: `list API p95, first page of 50, ${m}-message INBOX (wall)`, pigeon: webFigures.listFirst.wallP95, note: `p50 ${fmt(webFigures.listFirst.wallP50)} ms, server p95 ${fmt(webFigures.listFirst.serverP95)} ms` });
      record({ ...base, figure: `list API p95, a page 10–90% down (wall)`, pigeon: webFigures.listDeep.wallP95, note: `p50 ${fmt(webFigures.listDeep.wallP50)} ms, server p95 ${fmt(webFigures.listDeep.serverP95)} ms` });
      record({ ...base, figure: `conversation API p95 (wall, ${webFigures.conversation.samples} conversations)`, pigeon: webFigures.conversation.wallP95, note: `p50 ${fmt(webFigures.conversation.wallP50)} ms, server p95 ${fmt(webFigures.conversation.serverP95)} ms` });
      record({ ...base, figure: `inbox JavaScript, gzipped (${webFigures.inboxJs.files} files)`, unit: "KB", pigeon: webFigures.inboxJs.gzipBytes / 1000, note: `${(webFigures.inboxJs.rawBytes / 1000).toFixed(0)} KB before gzip` });
    }

    // --- The table ------------------------------------------------------------------------------
    const when = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
    const lines = [
      `Pigeon vs Postfix ${info.postfix} → Dovecot ${info.dovecot.split(" ")[0]} — ${when}${QUICK ? " — QUICK SIZES" : ""}`,
      `machine: ${machine()}; PostgreSQL ${info.postgres} (${pgSettings})`,
      `command: npm run bench${process.argv.slice(2).length ? " -- " + process.argv.slice(2).join(" ") : ""}; took ${((Date.now() - started) / 60000).toFixed(1)} min`,
      "",
      "| section | figure | Pigeon | peer | peer value | Pigeon ÷ peer | Pigeon is | load avg (Pigeon / peer run) | notes |",
      "|---|---|---:|---|---:|---:|---|---|---|",
      ...rows.map(
        (r) =>
          `| ${r.section}${r.extra ? " (extra)" : ""} | ${r.figure} (${r.unit}, ${r.better} is better) | ${fmt(r.pigeon)} | ${r.peerName ?? "none"} | ${fmt(r.peer)} | ${r.peer !== undefined && r.pigeon !== undefined ? (r.pigeon / r.peer).toFixed(2) : "-"} | ${describe(r)} | ${r.load} | ${r.note ?? ""} |`,
      ),
    ];
    const worst = rows.filter((r) => !r.extra && standing(r) !== undefined).sort((a, b) => standing(a)! - standing(b)!)[0];
    if (worst) lines.push("", `worst standing: ${worst.section} — ${worst.figure}: Pigeon ${describe(worst)} than ${worst.peerName}`);
    console.log("\n" + lines.join("\n"));
    const jsonFile = option("json");
    if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify({ when, quick: QUICK, machine: machine(), versions: info, pgSettings, sizes: SIZES, rows, web: webFigures }, null, 2));
  } catch (err) {
    if (pigeon) log(`Pigeon's output (tail):\n${pigeon.output().slice(-3000)}`);
    if (dovecot) log(`Dovecot's log (tail):\n${dovecot.log().slice(-2000)}`);
    throw err;
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
