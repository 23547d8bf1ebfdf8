import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../lib/db/embedded.ts";
import { migrate } from "../../lib/db/migrate.ts";

// Tests run against a real Postgres: DATABASE_URL when set, else an embedded server started for
// this run. A template database is migrated once; each test file clones it (tests/helpers/db.ts).

let embedded: EmbeddedDatabase | undefined;
let adminUrl = "";
let template = "";
let tmpDir: string | undefined;

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  let base = process.env.DATABASE_URL;
  if (!base) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-test-"));
    fs.chmodSync(tmpDir, 0o755);
    embedded = await startEmbeddedDatabase(tmpDir);
    base = embedded.url;
  }
  adminUrl = withDatabase(base, "postgres");
  template = `pigeon_tpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  await migrate(withDatabase(base, template));
  project.provide("pgAdminUrl", adminUrl);
  project.provide("pgTemplate", template);

  return async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    const dbs = await c.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2",
      [`pigeon_t_${process.pid}_%`, template],
    );
    for (const { datname } of dbs.rows) {
      await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => undefined);
    }
    await c.end();
    await embedded?.stop();
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}
