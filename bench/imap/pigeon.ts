import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { addDomain } from "../../lib/accounts/domains.ts";
import { addUser } from "../../lib/accounts/users.ts";
import { parseConfig, type Config } from "../../lib/config.ts";
import { connectDatabase, disconnectDatabase, getPool } from "../../lib/db/client.ts";
import { migrate } from "../../lib/db/migrate.ts";
import type { ImapLimits } from "../../lib/imap/limits.ts";
import { createImapServer, type ImapServer } from "../../lib/imap/server.ts";
import { getTlsMaterial, type TlsMaterial } from "../../lib/tls.ts";

// Pigeon for benchmarks and comparisons: a fresh database on DATABASE_URL's server (migrated),
// one user, and the IMAP server on 127.0.0.1 (STARTTLS and implicit TLS ports).

export interface BenchPigeon {
  config: Config;
  tls: TlsMaterial;
  port: number;
  securePort: number;
  user: { id: number; email: string; password: string; passwordHash: string };
  stop(): Promise<void>;
}

export async function startPigeon(opts: { limits?: Partial<ImapLimits>; poolSize?: number } = {}): Promise<BenchPigeon> {
  const base = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const name = `pigeon_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  await migrate(url);
  connectDatabase(url, opts.poolSize ?? 20);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-bench-"));
  const config = parseConfig({ DATA_DIR: dataDir, MAIL_HOSTNAME: "bench.pigeon.test", DATABASE_URL: url });
  const tls = await getTlsMaterial(config);
  await addDomain({ name: "bench.test" });
  const password = "bench password";
  const added = await addUser({ email: "bench@bench.test", password, quotaBytes: 1e12 });
  const hash = (await getPool().query<{ password_hash: string }>("SELECT password_hash FROM users WHERE id = $1", [added.id])).rows[0]
    .password_hash;
  const log = () => undefined;
  const plain: ImapServer = createImapServer({ config, tls, limits: opts.limits, log });
  const secure: ImapServer = createImapServer({ config, tls, implicitTls: true, limits: opts.limits, log });
  const port = await plain.listen(0, "127.0.0.1");
  const securePort = await secure.listen(0, "127.0.0.1");
  return {
    config,
    tls,
    port,
    securePort,
    user: { id: added.id, email: added.email, password, passwordHash: hash },
    stop: async () => {
      await Promise.all([plain.close(), secure.close()]);
      await disconnectDatabase();
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
