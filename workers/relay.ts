import type { Config } from "../lib/config.ts";
import type { RunningServer } from "../lib/server-handle.ts";
import { isMain, runWorker } from "./run-worker.ts";

// The outbound relay consumes the queue; it listens on no port.
export async function startRelay(_config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  log("relay: outbound delivery is not built yet; queued mail waits in the database");
  return { name: "relay", ports: [], close: async () => undefined };
}

if (isMain(import.meta.url)) runWorker("relay", startRelay);
