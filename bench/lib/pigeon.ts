import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { freePort, log, sleep } from "./util.ts";

// Pigeon as `npm start` runs it (workers/start.ts: migrations, first admin, SMTP, IMAP, POP3 and
// the relay in one process, then `next start` on the production build as its child), against a
// scratch database, every port on 127.0.0.1 at a free high port.
//
// PIGEON_DIR runs another checkout's workers/start.ts (and builds and serves its .next) instead of
// this one: a frozen copy while neighbours' half-done edits would make `next build` rebuild or fail.

export const repoRoot = path.resolve(import.meta.dirname, "../..");

export interface ScratchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const base = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface PigeonProcess {
  /** workers/start.ts: every protocol server (IMAP included) lives in this process. */
  pid: number;
  webPid(): number | undefined;
  ports: { smtp: number; submission: number; smtps: number; imap: number; imaps: number; pop3: number; pop3s: number; web: number };
  webUrl: string;
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startPigeonProduction(opts: {
  databaseUrl: string;
  dataDir: string;
  dnsServers: string;
  adminEmail: string;
  adminPassword: string;
  /** How long to wait for /api/health, including a `next build` when .next is stale. */
  timeoutMs?: number;
  /** Extra node flags for workers/start.ts (e.g. --cpu-prof, which NODE_OPTIONS does not take). */
  nodeArgs?: string[];
}): Promise<PigeonProcess> {
  const dir = path.resolve(process.env.PIGEON_DIR ?? repoRoot);
  const ports = {
    smtp: await freePort(),
    submission: await freePort(),
    smtps: await freePort(),
    imap: await freePort(),
    imaps: await freePort(),
    pop3: await freePort(),
    pop3s: await freePort(),
    web: await freePort(),
  };
  const webUrl = `http://127.0.0.1:${ports.web}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    DATABASE_URL: opts.databaseUrl,
    DATA_DIR: opts.dataDir,
    MAIL_HOSTNAME: "mx.bench.test",
    BIND_ADDRESS: "127.0.0.1",
    WEB_PORT: String(ports.web),
    PUBLIC_URL: webUrl,
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    SMTP_PORT: String(ports.smtp),
    SUBMISSION_PORT: String(ports.submission),
    SMTPS_PORT: String(ports.smtps),
    IMAP_PORT: String(ports.imap),
    IMAPS_PORT: String(ports.imaps),
    POP3_PORT: String(ports.pop3),
    POP3S_PORT: String(ports.pop3s),
    ADMIN_EMAIL: opts.adminEmail,
    ADMIN_PASSWORD: opts.adminPassword,
    DNS_SERVERS: opts.dnsServers,
    OUTBOUND_SMTP_PORT: String(await freePort()),
  };
  // `npm start` is `tsx workers/start.ts`; `node --import tsx` is the same without tsx's extra
  // parent process, so that `pid` is the process that holds the servers.
  const logFile = path.join(opts.dataDir, "pigeon.log");
  const out = fs.openSync(logFile, "a");
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), "--import", "tsx", "workers/start.ts"], {
    cwd: dir,
    env,
    stdio: ["ignore", out, out],
    detached: true,
  });
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const output = () => {
    try {
      return fs.readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.pid) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
      }, 15_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 20 * 60_000);
  let announcedBuild = false;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Pigeon (workers/start.ts) exited with ${child.exitCode}:\n${output().slice(-4000)}`);
    if (!announcedBuild && output().includes("building the web app")) {
      announcedBuild = true;
      log("Pigeon: .next is missing or older than the sources; workers/start.ts runs `next build` first");
    }
    try {
      const res = await fetch(`${webUrl}/api/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Pigeon did not become healthy in time:\n${output().slice(-4000)}`);
    }
    await sleep(300);
  }
  const webPid = () => {
    try {
      const children = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
      return children[0];
    } catch {
      return undefined;
    }
  };
  return { pid: child.pid!, webPid, ports, webUrl, dir, output, stop };
}
