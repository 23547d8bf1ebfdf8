import net from "node:net";
import tls from "node:tls";
import { BenchClient } from "../imap/client.ts";
import { benchMessage } from "../imap/corpus.ts";
import { log, median, timed } from "./util.ts";

// IMAP figures, measured the same way on every server from this process with bench/imap's minimal
// client (implicit TLS, one command at a time, the whole response read): sessions per second with
// 10 parallel clients, FETCH of 50 envelopes and SEARCH TEXT on the big INBOX, APPEND per second.

export interface ImapTarget {
  name: string;
  port: number;
  user: string;
  password: string;
}

export interface ImapFigures {
  exists: number;
  selectMs: number;
  envelopes50Ms: number;
  searchText: Record<string, { ms: number; hits: number }>;
  appendsPerSecond: number;
  sessionsPerSecond: number;
}

export const SEARCH_WORDS = ["money", "razor", "zzzzqqqq"];

async function login(t: ImapTarget): Promise<BenchClient> {
  const c = await BenchClient.connect(t.port);
  const r = await c.command(`LOGIN "${t.user}" "${t.password}"`);
  if (r.status !== "OK") throw new Error(`${t.name}: login failed: ${r.text}`);
  return c;
}

async function ok(c: BenchClient, cmd: string | Buffer, keep = false) {
  const r = await c.command(cmd, { keep });
  if (r.status !== "OK") throw new Error(`${String(cmd).slice(0, 60)}: ${r.text.slice(-300)}`);
  return r;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const imapDate = (d: Date) =>
  `${String(d.getUTCDate()).padStart(2, "0")}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${d.toISOString().slice(11, 19)} +0000`;

/** The bench INBOX's internal dates: message i one minute after message i-1. */
export const benchInternalDate = (i: number) => new Date(Date.UTC(2025, 0, 1) + i * 60_000);

/** Loads `count` corpus messages into INBOX over IMAP MULTIAPPEND (250 per command). */
export async function loadOverImap(t: ImapTarget, count: number): Promise<number> {
  const c = await login(t);
  const [ms] = await timed(async () => {
    for (let i = 0; i < count; i += 250) {
      const parts: Buffer[] = [Buffer.from("APPEND INBOX")];
      for (let j = i; j < Math.min(count, i + 250); j++) {
        const m = benchMessage(j);
        parts.push(Buffer.from(` "${imapDate(benchInternalDate(j))}" {${m.length}+}\r\n`), m);
      }
      await ok(c, Buffer.concat(parts));
      if ((i / 250) % 40 === 0) log(`${t.name}: loaded ${Math.min(count, i + 250)}/${count} over IMAP`);
    }
  });
  await c.command("LOGOUT");
  c.close();
  return ms / 1000;
}

export async function measureImap(t: ImapTarget, opts: { appends: number; sessions: number; parallel: number; minMessages: number }): Promise<ImapFigures> {
  const c = await login(t);
  const selects: number[] = [];
  let exists = 0;
  for (let i = 0; i < 11; i++) {
    const [ms, r] = await timed(() => ok(c, "SELECT INBOX", true));
    exists = Number(/\* (\d+) EXISTS/.exec(r.text)?.[1] ?? 0);
    if (i > 0) selects.push(ms);
  }
  if (exists < opts.minMessages) throw new Error(`${t.name}: INBOX has ${exists} messages, expected ${opts.minMessages}`);
  log(`${t.name}: SELECT ${median(selects).toFixed(1)} ms (${exists} messages)`);
  const envelopes: number[] = [];
  // 50 samples after a warm-up: single runs swing by several ms on a machine shared with others.
  for (let i = 0; i < 51; i++) {
    const [ms] = await timed(() => ok(c, `FETCH ${exists - 49}:${exists} (UID FLAGS ENVELOPE)`));
    if (i > 0) envelopes.push(ms);
  }
  log(`${t.name}: FETCH 50 ENVELOPE ${median(envelopes).toFixed(1)} ms`);
  const searchText: ImapFigures["searchText"] = {};
  for (const word of SEARCH_WORDS) {
    const runs: number[] = [];
    let hits = 0;
    for (let i = 0; i < 3; i++) {
      const [ms, r] = await timed(() => ok(c, `UID SEARCH TEXT "${word}"`, true));
      runs.push(ms);
      hits = /\* SEARCH([\d ]*)/.exec(r.text)?.[1].trim().split(" ").filter(Boolean).length ?? 0;
    }
    searchText[word] = { ms: median(runs), hits };
    log(`${t.name}: SEARCH TEXT ${word} ${median(runs).toFixed(1)} ms, ${hits} hits`);
  }
  // APPEND per second from one client, one message per command, each waiting for its OK.
  await c.command("CREATE Bench");
  const [appendMs] = await timed(async () => {
    for (let i = 0; i < opts.appends; i++) {
      const m = benchMessage(1_000_000 + i);
      await ok(c, Buffer.concat([Buffer.from(`APPEND Bench {${m.length}+}\r\n`), m]));
    }
  });
  const appendsPerSecond = opts.appends / (appendMs / 1000);
  log(`${t.name}: APPEND ${appendsPerSecond.toFixed(1)}/s`);
  await c.command("LOGOUT");
  c.close();
  // Sessions per second: `parallel` clients, each session connects (TLS), logs in, selects the
  // big INBOX, fetches 10 headers and logs out.
  let next = 0;
  const [sessMs] = await timed(() =>
    Promise.all(
      Array.from({ length: opts.parallel }, async () => {
        while (next++ < opts.sessions) {
          const s = await login(t);
          await ok(s, "SELECT INBOX");
          await ok(s, "FETCH 1:10 (BODY.PEEK[HEADER])");
          await s.command("LOGOUT");
          s.close();
        }
      }),
    ),
  );
  const sessionsPerSecond = opts.sessions / (sessMs / 1000);
  log(`${t.name}: ${sessionsPerSecond.toFixed(1)} sessions/s`);
  return { exists, selectMs: median(selects), envelopes50Ms: median(envelopes), searchText, appendsPerSecond, sessionsPerSecond };
}

/**
 * `count` IMAP connections that log in, SELECT INBOX and sit in IDLE, opened `concurrency` at a
 * time from 127.0.0.2… (100 per source address, as from many clients).
 */
export async function openIdleConnections(t: ImapTarget, count: number, concurrency = 16): Promise<{ sockets: tls.TLSSocket[]; close(): Promise<void> }> {
  const sockets: tls.TLSSocket[] = [];
  const openOne = (i: number) =>
    new Promise<tls.TLSSocket>((resolve, reject) => {
      const raw = net.connect({ host: "127.0.0.1", port: t.port, localAddress: `127.0.0.${2 + Math.floor(i / 100)}` });
      const s = tls.connect({ socket: raw, rejectUnauthorized: false });
      let buf = "";
      let step = 0;
      const timer = setTimeout(() => reject(new Error(`${t.name}: idle connection ${i} stuck at step ${step}: ${buf.slice(-200)}`)), 120_000);
      s.on("error", (e) => (clearTimeout(timer), reject(e)));
      s.on("data", (d: Buffer) => {
        buf += d.toString("latin1");
        if (step === 0 && buf.includes("\r\n")) {
          step = 1;
          buf = "";
          s.write(`a LOGIN "${t.user}" "${t.password}"\r\n`);
        } else if (step === 1 && /(^|\r\n)a (OK|NO|BAD)/.test(buf)) {
          if (!/(^|\r\n)a OK/.test(buf)) return reject(new Error(`${t.name}: login failed: ${buf.slice(-200)}`));
          step = 2;
          buf = "";
          s.write("b SELECT INBOX\r\n");
        } else if (step === 2 && /(^|\r\n)b (OK|NO|BAD)/.test(buf)) {
          step = 3;
          buf = "";
          s.write("c IDLE\r\n");
        } else if (step === 3 && buf.includes("+ ")) {
          step = 4;
          buf = "";
          clearTimeout(timer);
          resolve(s);
        } else if (step === 4) {
          buf = ""; // "* OK Still here" and the like
        }
      });
    });
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) sockets.push(await openOne(i));
    }),
  );
  return {
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
    },
  };
}
