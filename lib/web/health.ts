import type pg from "pg";
import { getPool } from "../db/client.ts";

// What GET /api/health reports. The web process has one dependency of its own: the database.

export interface HealthReport {
  status: "ok" | "error";
  database: "up" | "down";
  /** Round trip of `SELECT 1`, when it answered. */
  latencyMs?: number;
  /** Why the check failed; generic on purpose (no hostnames or credentials). */
  error?: string;
  uptimeSeconds: number;
  time: string;
}

const DEFAULT_TIMEOUT_MS = 3000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `SELECT 1` on the process's pool (or `pool`), bounded by `timeoutMs` so a black-holed
 * database answers "down" instead of hanging the probe.
 */
export async function checkHealth({
  pool,
  timeoutMs = DEFAULT_TIMEOUT_MS,
}: { pool?: pg.Pool; timeoutMs?: number } = {}): Promise<HealthReport> {
  const base = { uptimeSeconds: Math.round(process.uptime()), time: new Date().toISOString() };
  const started = performance.now();
  try {
    const p = pool ?? getPool();
    await withTimeout(p.query("SELECT 1"), timeoutMs);
    return { status: "ok", database: "up", latencyMs: Math.round(performance.now() - started), ...base };
  } catch (err) {
    console.error("health: database check failed:", err instanceof Error ? err.message : err);
    return { status: "error", database: "down", error: "database unreachable", ...base };
  }
}
