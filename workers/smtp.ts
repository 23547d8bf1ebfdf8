import type { Config } from "../lib/config.ts";
import { startPlaceholderServer } from "../lib/placeholder-server.ts";
import type { RunningServer } from "../lib/server-handle.ts";
import { createInboundServer } from "../lib/smtp/inbound.ts";
import { getTlsMaterial } from "../lib/tls.ts";
import { isMain, runWorker } from "./run-worker.ts";

// SMTP: the MX on SMTP_PORT. Submission (SUBMISSION_PORT, SMTPS_PORT) holds its ports with a
// placeholder until it is built.
export async function startSmtpServers(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  const tls = await getTlsMaterial(config);
  const inbound = createInboundServer({ config, tls, log: (line) => log(line) });
  const mxPort = await inbound.listen(config.smtpPort, config.bindAddress);
  log(`smtp: MX listening on ${config.bindAddress}:${mxPort} as ${config.mailHostname}`);
  const submission = await startPlaceholderServer({
    name: "submission",
    host: config.bindAddress,
    ports: [config.submissionPort, config.smtpsPort],
    greeting: "421 4.3.2 submission is not available yet",
    log,
  }).catch(async (err) => {
    await inbound.close();
    throw err;
  });
  return {
    name: "smtp",
    ports: [mxPort, ...submission.ports],
    close: async () => {
      await Promise.all([inbound.close(), submission.close()]);
    },
  };
}

if (isMain(import.meta.url)) runWorker("smtp", startSmtpServers);
