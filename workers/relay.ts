import type { Config } from "../lib/config.ts";
import { createQueueWorker } from "../lib/queue/worker.ts";
import type { RunningServer } from "../lib/server-handle.ts";
import { isMain, runWorker } from "./run-worker.ts";

// The outbound relay consumes the queue; it listens on no port. close() lets the deliveries in
// flight finish (their outcomes are recorded) before it resolves.
export async function startRelay(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  const worker = createQueueWorker({ config, log: (line) => log(`relay: ${line}`) });
  worker.start();
  log(`relay: delivering queued mail (outbound port ${config.outboundSmtpPort})`);
  return { name: "relay", ports: [], close: () => worker.stop() };
}

if (isMain(import.meta.url)) runWorker("relay", startRelay);
