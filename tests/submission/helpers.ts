import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseConfig, type Config } from "../../lib/config.ts";
import { getPool } from "../../lib/db/client.ts";
import type { QueueContext } from "../../lib/queue/context.ts";
import { createSubmissionServer, type SubmissionLimits, type SubmissionServer } from "../../lib/smtp/submission.ts";
import { getTlsMaterial } from "../../lib/tls.ts";

// Both submission servers (STARTTLS and implicit TLS) on 127.0.0.1 port 0 for one test file.

export const SUBMISSION_HOSTNAME = "submit.pigeon.test";

export interface RunningSubmission {
  /** STARTTLS port (SUBMISSION_PORT's role). */
  port: number;
  /** Implicit TLS port (SMTPS_PORT's role). */
  tlsPort: number;
  config: Config;
  logs: string[];
  close(): Promise<void>;
}

export async function startSubmission(
  opts: { databaseUrl: string; queue?: QueueContext; maxMessageSize?: number; limits?: Partial<SubmissionLimits>; env?: Record<string, string> },
): Promise<RunningSubmission> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-submission-"));
  const config = parseConfig({
    DATABASE_URL: opts.databaseUrl,
    MAIL_HOSTNAME: SUBMISSION_HOSTNAME,
    DATA_DIR: dataDir,
    MAX_MESSAGE_SIZE: opts.maxMessageSize ? String(opts.maxMessageSize) : undefined,
    ...opts.env,
  });
  const tls = await getTlsMaterial(config);
  const logs: string[] = [];
  const common = { config, tls, limits: opts.limits, queue: opts.queue, closeTimeoutMs: 1000, log: (line: string) => logs.push(line) };
  const servers: SubmissionServer[] = [
    createSubmissionServer({ ...common, implicitTls: false }),
    createSubmissionServer({ ...common, implicitTls: true }),
  ];
  const [port, tlsPort] = await Promise.all(servers.map((s) => s.listen(0, "127.0.0.1")));
  return {
    port,
    tlsPort,
    config,
    logs,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The outbound queue rows of one sender's messages, newest last. */
export async function queuedFor(userId: number) {
  const r = await getPool().query<{ message_id: number; sender: string; source: string; address: string; status: string }>(
    `SELECT m.id AS message_id, m.sender, m.source, r.address, r.status::text AS status
     FROM outbound_messages m JOIN outbound_recipients r ON r.message_id = m.id WHERE m.user_id = $1 ORDER BY m.id, r.id`,
    [userId],
  );
  return r.rows;
}
