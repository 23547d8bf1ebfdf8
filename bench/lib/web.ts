import { gzipSync } from "node:zlib";
import { CookieJar, signInOverHttp, type WebServer } from "../../tests/helpers/web.ts";
import { log, percentile } from "./util.ts";

// Webmail figures against the running production web (`next start` under workers/start.ts), the
// same requests as bench/web/run.ts: sign in over HTTP, the conversation list API (first page of
// 50), opening conversations, and the gzipped JavaScript the inbox page loads. Wall time is what
// the client saw; server time is the route's own Server-Timing (the IMAP work in the handler).

export interface WebFigures {
  listFirst: { wallP50: number; wallP95: number; serverP95: number };
  listDeep: { wallP50: number; wallP95: number; serverP95: number };
  conversation: { wallP50: number; wallP95: number; serverP95: number; samples: number };
  inboxJs: { files: number; rawBytes: number; gzipBytes: number };
}

export async function measureWeb(opts: { url: string; email: string; password: string; samples: number; messages: number }): Promise<WebFigures> {
  const jar = new CookieJar();
  const server = { url: opts.url } as WebServer;
  const signIn = await signInOverHttp(server, jar, { email: opts.email, password: opts.password });
  if (signIn.status !== 302 || signIn.location.includes("error")) throw new Error(`web sign-in failed: ${signIn.status} ${signIn.location}`);

  async function get<T>(path: string): Promise<{ server: number; wall: number; body: T }> {
    const t = performance.now();
    const res = await jar.fetch(`${opts.url}${path}`);
    const body = (await res.json()) as T;
    const wall = performance.now() - t;
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    const server = Number(/dur=([\d.]+)/.exec(res.headers.get("server-timing") ?? "")?.[1] ?? NaN);
    return { server, wall, body };
  }
  const stats = (xs: { server: number; wall: number }[]) => ({
    wallP50: percentile(
      xs.map((x) => x.wall),
      50,
    ),
    wallP95: percentile(
      xs.map((x) => x.wall),
      95,
    ),
    serverP95: percentile(
      xs.map((x) => x.server),
      95,
    ),
  });

  type Page = { rows: { id: string }[]; nextCursor: string | null; total: number };
  // The first request selects the folder on the session's fresh IMAP connection (not counted).
  const cold = await get<Page>("/api/mail/conversations?mailbox=INBOX&limit=50");
  const first: { server: number; wall: number }[] = [];
  for (let i = 0; i < opts.samples; i++) first.push(await get<Page>("/api/mail/conversations?mailbox=INBOX&limit=50"));
  log(`web: list first page p95 ${stats(first).wallP95.toFixed(1)} ms`);
  // Pages deep in the folder (10–90% down), through the list's own cursor format.
  const uidValidity = /^m\.(\d+)\./.exec(cold.body.nextCursor ?? "")?.[1];
  const deep: { server: number; wall: number }[] = [];
  const ids = new Set<string>(cold.body.rows.map((r) => r.id));
  for (let i = 0; i < opts.samples && uidValidity; i++) {
    const uid = Math.floor(opts.messages * (0.1 + 0.8 * Math.random()));
    const r = await get<Page>(`/api/mail/conversations?mailbox=INBOX&limit=50&cursor=m.${uidValidity}.${uid}.${uid - 1}`);
    deep.push(r);
    for (const row of r.body.rows.slice(0, 3)) ids.add(row.id);
  }
  const conversation: { server: number; wall: number }[] = [];
  for (const id of [...ids].slice(0, opts.samples)) conversation.push(await get(`/api/mail/conversations/${encodeURIComponent(id)}?mailbox=INBOX`));
  log(`web: conversation p95 ${stats(conversation).wallP95.toFixed(1)} ms`);

  // JavaScript the inbox page loads, gzipped (what a browser downloads with Accept-Encoding: gzip);
  // not the legacy-browser polyfills (<script noModule>), which modern browsers never fetch.
  const html = await (await jar.fetch(`${opts.url}/mail`)).text();
  const scripts = [
    ...new Set(
      [...html.matchAll(/<script([^>]*)\ssrc="([^"]+\.js[^"]*)"([^>]*)>/g)].filter((m) => !/nomodule/i.test(m[1] + m[3])).map((m) => m[2]),
    ),
  ];
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const src of scripts) {
    const body = Buffer.from(await (await fetch(new URL(src, opts.url))).arrayBuffer());
    rawBytes += body.length;
    gzipBytes += gzipSync(body, { level: 9 }).length;
  }
  if (!scripts.length) throw new Error(`no scripts found on /mail:\n${html.slice(0, 500)}`);
  return {
    listFirst: stats(first),
    listDeep: deep.length ? stats(deep) : { wallP50: NaN, wallP95: NaN, serverP95: NaN },
    conversation: { ...stats(conversation), samples: conversation.length },
    inboxJs: { files: scripts.length, rawBytes, gzipBytes },
  };
}
