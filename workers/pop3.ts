import type { Config } from "../lib/config.ts";
import { startPlaceholderServer } from "../lib/placeholder-server.ts";
import type { RunningServer } from "../lib/server-handle.ts";
import { isMain, runWorker } from "./run-worker.ts";

export async function startPop3Servers(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  return startPlaceholderServer({
    name: "pop3",
    host: config.bindAddress,
    ports: [config.pop3Port, config.pop3sPort],
    greeting: "-ERR POP3 service is not available yet",
    log,
  });
}

if (isMain(import.meta.url)) runWorker("pop3", startPop3Servers);
