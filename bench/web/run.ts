// Webmail benchmark (issue 6, item 8): a 100,000-message INBOX behind Pigeon's IMAP server and the
// production web (`next start`); the list API's server time for the first page and for a page deep
// in the folder, the server time for opening a conversation (p50, p95), and the gzipped JavaScript
// the inbox page ships.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/web/run.ts
//
// Env: BENCH_MESSAGES (default 100000), BENCH_SAMPLES (default 40). Server time is what the route
// reports in Server-Timing (the IMAP work inside the handler); wall time is what the client saw.
// Not part of `npm test`.
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { appendMessages } from "../../lib/mail/append.ts";
import { getMailboxOrThrow } from "../../lib/mail/mailboxes.ts";
import { corpus } from "../imap/corpus.ts";
import { startPigeon } from "../imap/pigeon.ts";
import { CookieJar, signInOverHttp, startWebServer } from "../../tests/helpers/web.ts";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);

/**
 * Message i: the SpamAssassin corpus repeated, each copy with Message-IDs of its own (also in
 * In-Reply-To and References), so that threads stay within a copy as in a real mailbox, instead
 * of every repeat of a message joining one ever-growing thread.
 */
function benchMessage(i: number): Buffer {
  const all = corpus();
  const copy = Math.floor(i / all.length);
  const raw = all[i % all.length].toString("latin1");
  const end = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, end < 0 ? raw.length : end).replace(/^(message-id|in-reply-to|references):([^\r]*(?:\r\n[ \t][^\r]*)*)/gim, (line) =>
    line.replace(/<([^<>\s]+)>/g, `<c${copy}.$1>`),
  );
  return Buffer.from(`X-Bench-Copy: ${i}\r\n${head}${end < 0 ? "" : raw.slice(end)}`, "latin1");
}
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);

process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function summary(name: string, server: number[], wall: number[]) {
  return {
    name,
    samples: server.length,
    server_p50_ms: +pct(server, 50).toFixed(1),
    server_p95_ms: +pct(server, 95).toFixed(1),
    wall_p50_ms: +pct(wall, 50).toFixed(1),
    wall_p95_ms: +pct(wall, 95).toFixed(1),
  };
}

const pigeon = await startPigeon();
const inbox = await getMailboxOrThrow({ userId: pigeon.user.id, name: "INBOX" });
const loadStarted = Date.now();
const base = Date.UTC(2025, 0, 1);
for (let i = 0; i < MESSAGES; i += 250) {
  const batch = [];
  for (let j = i; j < Math.min(MESSAGES, i + 250); j++) batch.push({ raw: benchMessage(j), internalDate: new Date(base + j * 60_000) });
  await appendMessages({ userId: pigeon.user.id, mailboxId: inbox.id, messages: batch });
  if ((i / 250) % 40 === 0) process.stderr.write(`loaded ${i + batch.length}/${MESSAGES}\n`);
}
const loadSeconds = (Date.now() - loadStarted) / 1000;

const web = await startWebServer({
  databaseUrl: pigeon.config.databaseUrl!,
  env: {
    IMAP_PORT: String(pigeon.port),
    IMAPS_PORT: String(pigeon.securePort),
    DATA_DIR: pigeon.config.dataDir,
    MAIL_HOSTNAME: pigeon.config.mailHostname,
    AUTH_SECRET: process.env.AUTH_SECRET!,
  },
});

try {
  const jar = new CookieJar();
  const signIn = await signInOverHttp(web, jar, { email: pigeon.user.email, password: pigeon.user.password });
  if (signIn.status !== 302) throw new Error(`sign-in failed: ${signIn.status}`);

  async function timed<T>(path: string): Promise<{ server: number; wall: number; body: T }> {
    const t = performance.now();
    const res = await jar.fetch(`${web.url}${path}`);
    const body = (await res.json()) as T;
    const wall = performance.now() - t;
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    const server = Number(/dur=([\d.]+)/.exec(res.headers.get("server-timing") ?? "")?.[1] ?? NaN);
    return { server, wall, body };
  }

  type Page = { rows: { id: string }[]; nextCursor: string | null; total: number };
  // The first request selects the folder on the session's fresh IMAP connection (cold).
  const cold = await timed<Page>("/api/mail/conversations?mailbox=INBOX&limit=50");
  const first = { server: [] as number[], wall: [] as number[] };
  for (let i = 0; i < SAMPLES; i++) {
    const r = await timed<Page>("/api/mail/conversations?mailbox=INBOX&limit=50");
    first.server.push(r.server);
    first.wall.push(r.wall);
  }
  const uidValidity = /^m\.(\d+)\./.exec(cold.body.nextCursor ?? "")?.[1];
  const deep = { server: [] as number[], wall: [] as number[] };
  const ids = new Set<string>();
  for (let i = 0; i < SAMPLES; i++) {
    // A page somewhere between 20% and 90% down the folder (UIDs are dense here: uid n is seq n).
    const uid = Math.floor(MESSAGES * (0.1 + 0.8 * Math.random()));
    const r = await timed<Page>(`/api/mail/conversations?mailbox=INBOX&limit=50&cursor=m.${uidValidity}.${uid}.${uid - 1}`);
    deep.server.push(r.server);
    deep.wall.push(r.wall);
    for (const row of r.body.rows.slice(0, 3)) ids.add(row.id);
  }
  const deepStale = await timed<Page>(`/api/mail/conversations?mailbox=INBOX&limit=50&cursor=m.${uidValidity}.${Math.floor(MESSAGES / 2)}.1`);

  const open = { server: [] as number[], wall: [] as number[] };
  for (const id of [...ids].slice(0, SAMPLES)) {
    const r = await timed(`/api/mail/conversations/${encodeURIComponent(id)}?mailbox=INBOX`);
    open.server.push(r.server);
    open.wall.push(r.wall);
  }

  // JavaScript the inbox page loads, gzipped (what a browser downloads with Accept-Encoding: gzip).
  const html = await (await jar.fetch(`${web.url}/mail`)).text();
  // Not the legacy-browser polyfills (<script noModule>): modern browsers never fetch them.
  const scripts = [...new Set([...html.matchAll(/<script([^>]*)\ssrc="([^"]+\.js[^"]*)"([^>]*)>/g)].filter((m) => !/nomodule/i.test(m[1] + m[3])).map((m) => m[2]))];
  let raw = 0;
  let gz = 0;
  for (const src of scripts) {
    const body = Buffer.from(await (await fetch(new URL(src, web.url))).arrayBuffer());
    raw += body.length;
    gz += gzipSync(body, { level: 9 }).length;
  }
  const inline = [...html.matchAll(/<script(?![^>]*src=)[^>]*>([\s\S]*?)<\/script>/g)].reduce((n, m) => n + Buffer.byteLength(m[1]), 0);

  const report = {
    messages: MESSAGES,
    loadSeconds,
    coldFirstPage: { server_ms: +cold.server.toFixed(1), wall_ms: +cold.wall.toFixed(1) },
    results: [summary("list: first page (50 rows)", first.server, first.wall), summary("list: deep page (cursor 10–90% down)", deep.server, deep.wall), summary("open conversation", open.server, open.wall)],
    deepPageWithStaleHint: { server_ms: +deepStale.server.toFixed(1) },
    inboxJavaScript: { files: scripts.length, rawBytes: raw, gzipBytes: gz, inlineScriptBytes: inline },
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  await web.stop();
  await pigeon.stop();
}
