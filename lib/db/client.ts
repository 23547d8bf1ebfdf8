import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.ts";

// One pg pool per process, shared by Prisma (through its adapter) and by the raw SQL of the mail
// core's hot paths. The URL is set once at start (`connectDatabase`) or taken from DATABASE_URL.

export type Db = PrismaClient;

interface Connection {
  url: string;
  pool: pg.Pool;
  prisma: PrismaClient;
}

let current: Connection | undefined;

// BIGINT columns come back from raw queries as JS numbers where they fit (counts, modseqs, ids).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
});

export function connectDatabase(url: string, poolSize = 10): Connection {
  if (current && current.url === url) return current;
  const pool = new pg.Pool({ connectionString: url, max: poolSize, idleTimeoutMillis: 30_000 });
  pool.on("error", (err: Error & { code?: string }) => {
    // 57P01: the server is shutting down (normal when the embedded database stops with us).
    if (err.code !== "57P01") console.error("postgres pool error:", err.message);
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  current = { url, pool, prisma };
  return current;
}

function connection(): Connection {
  if (!current) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("database not connected: call connectDatabase() or set DATABASE_URL");
    return connectDatabase(url);
  }
  return current;
}

export function getDb(): PrismaClient {
  return connection().prisma;
}

export function getPool(): pg.Pool {
  return connection().pool;
}

export function getDatabaseUrl(): string {
  return connection().url;
}

export async function disconnectDatabase(): Promise<void> {
  const c = current;
  current = undefined;
  if (!c) return;
  await c.prisma.$disconnect().catch(() => undefined);
  await c.pool.end().catch(() => undefined);
}

/** Runs `fn` in one transaction on one pooled connection (raw SQL), rolling back on error. */
export async function withTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await getPool().connect();
  // A checked-out client has no pool error listener: a backend killed mid-transaction must fail
  // the query, not crash the process with an unhandled 'error' event.
  const onError = () => undefined;
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.off("error", onError);
    client.release();
  }
}
