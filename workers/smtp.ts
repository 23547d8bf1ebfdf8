import type { Config } from "../lib/config.ts";
import { startPlaceholderServer } from "../lib/placeholder-server.ts";
import type { RunningServer } from "../lib/server-handle.ts";
import { isMain, runWorker } from "./run-worker.ts";

// TEMPORARY placeholder (lead): replaced by the inbound SMTP server.
export async function startSmtpServers(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  return startPlaceholderServer({
    name: "smtp",
    host: config.bindAddress,
    ports: [config.smtpPort, config.submissionPort, config.smtpsPort],
    greeting: "421 service not available yet",
    log,
  });
}

if (isMain(import.meta.url)) runWorker("smtp", startSmtpServers);
