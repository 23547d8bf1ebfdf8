import type { Config } from "../lib/config.ts";
import { createQueueContext } from "../lib/queue/context.ts";
import type { RunningServer } from "../lib/server-handle.ts";
import { createInboundServer } from "../lib/smtp/inbound.ts";
import { createSubmissionServer } from "../lib/smtp/submission.ts";
import { getTlsMaterial } from "../lib/tls.ts";
import { isMain, runWorker } from "./run-worker.ts";

// SMTP: the MX on SMTP_PORT, submission with STARTTLS on SUBMISSION_PORT and with implicit TLS on
// SMTPS_PORT.
export async function startSmtpServers(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  const tls = await getTlsMaterial(config);
  const inbound = createInboundServer({ config, tls, log: (line) => log(line) });
  // One queue context (DNS and DKIM key caches) for both submission ports.
  const queue = createQueueContext({ config, log: (line) => log(`smtp queue: ${line}`) });
  const submission = createSubmissionServer({ config, tls, implicitTls: false, queue, log: (line) => log(line) });
  const smtps = createSubmissionServer({ config, tls, implicitTls: true, queue, log: (line) => log(line) });
  const started: { close(): Promise<void> }[] = [];
  const listen = async (server: { listen(port: number, host?: string): Promise<number>; close(): Promise<void> }, port: number) => {
    const bound = await server.listen(port, config.bindAddress);
    started.push(server);
    return bound;
  };
  try {
    const mxPort = await listen(inbound, config.smtpPort);
    log(`smtp: MX listening on ${config.bindAddress}:${mxPort} as ${config.mailHostname}`);
    const submissionPort = await listen(submission, config.submissionPort);
    const smtpsPort = await listen(smtps, config.smtpsPort);
    log(`smtp: submission listening on ${config.bindAddress}:${submissionPort} (STARTTLS) and ${config.bindAddress}:${smtpsPort} (TLS)`);
    return {
      name: "smtp",
      ports: [mxPort, submissionPort, smtpsPort],
      close: async () => {
        await Promise.all([inbound.close(), submission.close(), smtps.close()]);
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.close()));
    throw err;
  }
}

if (isMain(import.meta.url)) runWorker("smtp", startSmtpServers);
