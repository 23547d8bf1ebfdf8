import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, spawnWorker, type WorkerName, type WorkerProcess } from "./worker-process.ts";

// The protocol workers (workers/smtp.ts, imap.ts, pop3.ts) each in its own process against one
// test database, on fixed free ports of 127.0.0.1, sharing one DATA_DIR (one TLS certificate).

export interface MailWorkers {
  dataDir: string;
  ports: { smtp: number; submission: number; smtps: number; imap: number; imaps: number; pop3: number; pop3s: number };
  procs: Partial<Record<WorkerName, WorkerProcess>>;
  stop(): Promise<void>;
}

export async function startMailWorkers(opts: { databaseUrl: string; which: WorkerName[]; env?: Record<string, string> }): Promise<MailWorkers> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-hard-workers-"));
  const ports = {
    smtp: await freePort(),
    submission: await freePort(),
    smtps: await freePort(),
    imap: await freePort(),
    imaps: await freePort(),
    pop3: await freePort(),
    pop3s: await freePort(),
  };
  const env = {
    DATABASE_URL: opts.databaseUrl,
    DATA_DIR: dataDir,
    MAIL_HOSTNAME: "mail.hard.test",
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    SMTP_PORT: String(ports.smtp),
    SUBMISSION_PORT: String(ports.submission),
    SMTPS_PORT: String(ports.smtps),
    IMAP_PORT: String(ports.imap),
    IMAPS_PORT: String(ports.imaps),
    POP3_PORT: String(ports.pop3),
    POP3S_PORT: String(ports.pop3s),
    // No outside DNS from tests: an unused local port answers nothing, quickly.
    DNS_SERVERS: "127.0.0.1:9",
    ...opts.env,
  };
  const procs: Partial<Record<WorkerName, WorkerProcess>> = {};
  // One at a time: the first creates the TLS certificate in DATA_DIR that the others then read.
  for (const name of opts.which) {
    const w = spawnWorker(name, env);
    procs[name] = w;
    await w.ready;
  }
  return {
    dataDir,
    ports,
    procs,
    async stop() {
      await Promise.all(Object.values(procs).map((p) => p!.stop()));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
