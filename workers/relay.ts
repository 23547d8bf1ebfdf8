import type { Config } from "../lib/config.ts";
import { sweepBlobs } from "../lib/mail/blobs.ts";
import { createQueueWorker } from "../lib/queue/worker.ts";
import type { RunningServer } from "../lib/server-handle.ts";
import { isMain, runWorker } from "./run-worker.ts";

// The outbound relay consumes the queue; it listens on no port. close() lets the deliveries in
// flight finish (their outcomes are recorded) before it resolves. It also sweeps, every
// SWEEP_EVERY_MS, the message bytes and threads nothing refers to any more (lib/mail sweepBlobs:
// expunged mail really goes, with its full-text entry).
const SWEEP_EVERY_MS = 10 * 60 * 1000;

export async function startRelay(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  const worker = createQueueWorker({ config, log: (line) => log(`relay: ${line}`) });
  worker.start();
  log(`relay: delivering queued mail (outbound port ${config.outboundSmtpPort})`);
  let sweeping: Promise<void> | undefined;
  const sweep = () => {
    sweeping ??= sweepBlobs()
      .then((r) => {
        if (r.blobs || r.threads) log(`relay: swept ${r.blobs} unreferenced message blobs and ${r.threads} empty threads`);
      })
      .catch((err) => log(`relay: sweep failed: ${(err as Error).message}`))
      .finally(() => {
        sweeping = undefined;
      });
  };
  const first = setTimeout(sweep, 60_000);
  const timer = setInterval(sweep, SWEEP_EVERY_MS);
  first.unref();
  timer.unref();
  return {
    name: "relay",
    ports: [],
    close: async () => {
      clearTimeout(first);
      clearInterval(timer);
      await Promise.all([worker.stop(), sweeping]);
    },
  };
}

if (isMain(import.meta.url)) runWorker("relay", startRelay);
