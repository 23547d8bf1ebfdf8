import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseConfig, type Config } from "../../lib/config.ts";
import { configureImapPool, closeImapPool } from "../../lib/imap-client/pool.ts";
import { pigeonImapEndpoint } from "../../lib/imap-client/connection.ts";
import type { RunningServer } from "../../lib/server-handle.ts";
import { startImapServers } from "../../workers/imap.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startWebServer, type WebServer } from "../helpers/web.ts";

// The webmail's whole path for tests: a test database, Pigeon's real IMAP server (STARTTLS and
// implicit TLS on free ports, its certificate in a temporary DATA_DIR), and optionally the real
// Next.js app (`next start`) told where that IMAP server is and sharing its DATA_DIR (so it
// trusts the same certificate) and AUTH_SECRET (so the IMAP server accepts the web's tokens).
// This process's own pooled IMAP client is pointed at the same server, for lib-level tests.

export interface MailStack {
  db: TestDatabase;
  config: Config;
  imap: RunningServer | null;
  imapPort: number;
  imapsPort: number;
  web: WebServer | null;
  dataDir: string;
  /** Stops the IMAP server (the web then finds it unreachable). */
  stopImap(): Promise<void>;
  /** Starts it again on the same ports. */
  startImap(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMailStack(opts: { web?: boolean; log?: boolean } = {}): Promise<MailStack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-mail-"));
  // Tokens are signed and checked with AUTH_SECRET read from this process's environment.
  process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
  const secret = process.env.AUTH_SECRET;
  const db = await createTestDatabase();
  const config = parseConfig({
    DATA_DIR: dataDir,
    MAIL_HOSTNAME: "mail.pigeon.test",
    IMAP_PORT: "0",
    IMAPS_PORT: "0",
    AUTH_SECRET: secret,
    DATABASE_URL: db.url,
  });
  const log = opts.log || process.env.PIGEON_IMAP_LOG ? (line: string) => console.log(line) : () => undefined;
  const imap = await startImapServers(config, log);
  const [imapPort, imapsPort] = imap.ports;
  const live = { ...config, imapPort, imapsPort };
  configureImapPool({ endpoint: () => pigeonImapEndpoint(live), idleMs: 60_000 });

  let web: WebServer | null = null;
  if (opts.web) {
    web = await startWebServer({
      databaseUrl: db.url,
      env: {
        IMAP_PORT: String(imapPort),
        IMAPS_PORT: String(imapsPort),
        DATA_DIR: dataDir,
        MAIL_HOSTNAME: config.mailHostname,
        AUTH_SECRET: secret,
      },
    });
  }

  const stack: MailStack = {
    db,
    config: live,
    imap,
    imapPort,
    imapsPort,
    web,
    dataDir,
    async stopImap() {
      await stack.imap?.close();
      stack.imap = null;
    },
    async startImap() {
      stack.imap ??= await startImapServers(live, log);
    },
    async stop() {
      await closeImapPool();
      await web?.stop();
      await stack.imap?.close();
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}
