import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";

// Small helpers shared by the bench scripts: command-line flags, free ports, child commands,
// timing, percentiles and process memory from /proc.

export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

export function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

export function numberOption(name: string, fallback: number): number {
  const v = option(name);
  return v === undefined ? fallback : Number(v);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Runs a command to its end; output is stdout and stderr together. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: opts.env ?? process.env });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code: code ?? -1, output }));
  });
}

export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = process.hrtime.bigint();
  const r = await fn();
  return [Number(process.hrtime.bigint() - t) / 1e6, r];
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export const median = (xs: number[]) => percentile(xs, 50);

export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}

function cpuTimes(): { idle: number; iowait: number; total: number } {
  const fields = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3], iowait: fields[4] ?? 0, total: fields.reduce((a, b) => a + b, 0) };
}

/**
 * Waits until the machine is quiet — CPUs at least `idle` idle and under `iowait` waiting for the
 * disk over a 2-second window — or `maxMs` has passed, so that one side's measurement does not
 * pay for the work the previous one left behind (Postgres checkpoints, Dovecot's writes). Returns
 * what it saw, for the log.
 */
export async function settle(opts: { idle?: number; iowait?: number; maxMs?: number } = {}): Promise<string> {
  const wantIdle = opts.idle ?? 0.8;
  const wantIowait = opts.iowait ?? 0.1;
  const deadline = Date.now() + (opts.maxMs ?? 60_000);
  const start = Date.now();
  for (;;) {
    const a = cpuTimes();
    await sleep(2000);
    const b = cpuTimes();
    const total = b.total - a.total || 1;
    const idle = (b.idle - a.idle) / total;
    const iowait = (b.iowait - a.iowait) / total;
    const seen = `idle ${(idle * 100).toFixed(0)} %, iowait ${(iowait * 100).toFixed(0)} % after ${((Date.now() - start) / 1000).toFixed(0)} s`;
    if ((idle >= wantIdle && iowait <= wantIowait) || Date.now() >= deadline) return seen;
  }
}

/** Resident and proportional set size of one process, in bytes (0 when it is gone). */
export function processMemory(pid: number): { rss: number; pss: number } {
  try {
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0) * 1024;
    return { rss: kb("Rss"), pss: kb("Pss") };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

/** Every process whose /proc/PID/cmdline starts with `prefix` (e.g. "dovecot/imap"), among `pids`. */
export function processesNamed(prefix: string, pids?: number[]): number[] {
  const all = pids ?? fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);
  return all.filter((pid) => {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0")[0];
      return cmd === prefix || cmd.startsWith(prefix + " ");
    } catch {
      return false;
    }
  });
}

/** The descendants of `root` (children, grandchildren, …). */
export function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "latin1");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(d), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [pid, pp] of parent) {
      if (pp !== p) continue;
      out.push(pid);
      walk(pid);
    }
  };
  walk(root);
  return out;
}

export function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}
