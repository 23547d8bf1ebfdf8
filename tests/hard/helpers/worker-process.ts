import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

// Pigeon's workers as operators run them: `node --import tsx workers/<name>.ts` in a process of
// its own, so that a test can kill it with SIGKILL, restart it, and read its memory from /proc.

export const repoRoot = path.resolve(import.meta.dirname, "../../..");

export type WorkerName = "smtp" | "imap" | "pop3" | "relay";

export interface WorkerProcess {
  name: WorkerName;
  child: ChildProcess;
  pid: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once the worker has logged "listening on" (runWorker's line). */
  ready: Promise<void>;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<string>;
  /** SIGKILL, and wait for the process to be gone. */
  kill(): Promise<void>;
  /** SIGTERM (the worker's clean stop), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnWorker(name: WorkerName, env: Record<string, string>, opts: { nodeArgs?: string[]; readyTimeoutMs?: number } = {}): WorkerProcess {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), "--import", "tsx", `workers/${name}.ts`], {
    cwd: repoRoot,
    env: { ...process.env, BIND_ADDRESS: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  // Bounded: a long run logs one line per message.
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<string>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? String(code))));
  const ready = new Promise<void>((resolve, reject) => {
    const timeoutMs = opts.readyTimeoutMs ?? 30_000;
    const timer = setTimeout(() => reject(new Error(`${name} worker did not start within ${timeoutMs} ms:\n${out.slice(-4000)}`)), timeoutMs);
    const check = () => {
      if (/\] listening on /.test(out)) {
        clearTimeout(timer);
        child.stdout!.off("data", check);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`${name} worker exited (${how}) before it listened:\n${out.slice(-4000)}`));
    });
  });
  ready.catch(() => undefined);
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    child,
    pid: child.pid!,
    output: () => out,
    ready,
    exited,
    async kill() {
      if (!gone()) child.kill("SIGKILL");
      await exited;
    },
    async stop(graceMs = 5000) {
      if (gone()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (!gone()) child.kill("SIGKILL");
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port that was free a moment ago on 127.0.0.1 (never 5432). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    if (port !== 5432) return port;
  }
}

export interface MemoryFigures {
  /** Resident set size now, in kB. */
  rssKb: number;
  /** Peak resident set size since the process started, in kB. */
  hwmKb: number;
}

/** VmRSS and VmHWM of a process, from /proc/<pid>/status. */
export function readMemory(pid: number): MemoryFigures {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssKb: field("VmRSS"), hwmKb: field("VmHWM") };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A small seeded PRNG (mulberry32), so that a failing random schedule can be replayed with HARD_SEED. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function runSeed(): number {
  const fromEnv = Number(process.env.HARD_SEED);
  return Number.isFinite(fromEnv) && process.env.HARD_SEED ? fromEnv : Math.floor(Math.random() * 2 ** 31);
}
