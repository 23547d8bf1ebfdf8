import { getConfig, type Config } from "../lib/config.ts";
import { setupDatabase } from "../lib/db/setup.ts";
import type { RunningServer } from "../lib/server-handle.ts";

// A worker run as its own process (one container per protocol): config, database, listen,
// and a clean stop on SIGTERM/SIGINT.
export function runWorker(name: string, start: (config: Config, log: (line: string) => void) => Promise<RunningServer>): void {
  const log = (line: string) => console.log(`[${name}] ${line}`);
  (async () => {
    const config = getConfig();
    const db = await setupDatabase(config);
    const server = await start(config, log);
    log(`listening on ${server.ports.join(", ") || "(no ports)"}`);
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await server.close().catch((err) => log(`close failed: ${err}`));
      await db.close();
      process.exit(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  })().catch((err) => {
    console.error(`[${name}] failed to start:`, err);
    process.exit(1);
  });
}

/** True when the module at `url` is the process's entry point (import.meta.main needs Node 24). */
export function isMain(url: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  const file = new URL(url).pathname;
  return file === entry || file.replace(/\.ts$/, "") === entry.replace(/\.ts$/, "");
}
