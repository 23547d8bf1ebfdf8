import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../tests/helpers/db.ts";
import { checkHealth } from "./health.ts";

describe("checkHealth", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it("reports ok when the database answers", async () => {
    const report = await checkHealth();
    expect(report).toMatchObject({ status: "ok", database: "up" });
    expect(report.latencyMs).toBeTypeOf("number");
  });

  it("reports an error, without details, when the database is unreachable", async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const pool = new pg.Pool({ connectionString: "postgres://pigeon@127.0.0.1:1/pigeon" });
    try {
      const report = await checkHealth({ pool });
      expect(report).toMatchObject({ status: "error", database: "down", error: "database unreachable" });
      expect(JSON.stringify(report)).not.toContain("127.0.0.1");
    } finally {
      await pool.end();
    }
  });

  it("gives up after the timeout", async () => {
    const never = { query: () => new Promise(() => undefined) } as unknown as pg.Pool;
    const started = Date.now();
    const report = await checkHealth({ pool: never, timeoutMs: 50 });
    expect(report.status).toBe("error");
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
