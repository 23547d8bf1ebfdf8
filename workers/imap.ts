import type { Config } from "../lib/config.ts";
import { startPlaceholderServer } from "../lib/placeholder-server.ts";
import type { RunningServer } from "../lib/server-handle.ts";
import { isMain, runWorker } from "./run-worker.ts";

export async function startImapServers(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  return startPlaceholderServer({
    name: "imap",
    host: config.bindAddress,
    ports: [config.imapPort, config.imapsPort],
    greeting: "* BYE IMAP service is not available yet",
    log,
  });
}

if (isMain(import.meta.url)) runWorker("imap", startImapServers);
