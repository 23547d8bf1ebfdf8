import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { connectDatabase, disconnectDatabase } from "../../lib/db/client.ts";

// A fresh, migrated database for one test file (cloned from the run's template), connected as
// this process's pool. Call in beforeAll; the returned `drop` goes in afterAll.

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(opts: { connect?: boolean; poolSize?: number } = {}): Promise<TestDatabase> {
  const adminUrl = inject("pgAdminUrl");
  const template = inject("pgTemplate");
  const name = `pigeon_t_${template.split("_").pop()}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  if (opts.connect !== false) connectDatabase(url, opts.poolSize ?? 20);
  return {
    url,
    name,
    drop: async () => {
      if (opts.connect !== false) await disconnectDatabase();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await c.end();
    },
  };
}
