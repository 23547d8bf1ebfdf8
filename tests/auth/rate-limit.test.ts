import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getPool } from "../../lib/db/client.ts";
import {
  accountDelayMs,
  LOGIN_LIMITS,
  normalizeIp,
  openLoginGate,
  pruneLoginLimits,
  resetLoginLimits,
  type GateOptions,
  type LoginAttempt,
} from "../../lib/auth/rate-limit.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

// The limiter is shared by every process through Postgres: two separate pools stand for two
// processes (say the IMAP server and the web).

let db: TestDatabase;
let imapProcess: pg.Pool;
let webProcess: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  imapProcess = new pg.Pool({ connectionString: db.url, max: 3 });
  webProcess = new pg.Pool({ connectionString: db.url, max: 3 });
});

afterAll(async () => {
  await imapProcess?.end();
  await webProcess?.end();
  await db?.drop();
});

beforeEach(async () => {
  await getPool().query("DELETE FROM rate_limits");
});

const noWait: GateOptions["sleep"] = async () => undefined;

/** One failed login through `pool`; returns whether the gate let it through. */
async function fail(attempt: LoginAttempt, pool: pg.Pool, opts: Partial<GateOptions> = {}): Promise<boolean> {
  const gate = await openLoginGate(attempt, { db: pool, sleep: noWait, ...opts });
  if (!gate.allowed) return false;
  await gate.finish("failure");
  return true;
}

describe("per address", () => {
  it("refuses the 11th failed login within a minute, counted across processes and accounts", async () => {
    for (let i = 0; i < 10; i++) {
      const pool = i % 2 ? imapProcess : webProcess;
      expect(await fail({ ip: "192.0.2.1", account: `user${i}@example.test` }, pool), `attempt ${i + 1}`).toBe(true);
    }
    const gate = await openLoginGate({ ip: "192.0.2.1", account: "someone-else@example.test" }, { db: imapProcess });
    expect(gate.allowed).toBe(false);
    if (gate.allowed) return;
    expect(gate.scope).toBe("ip");
    expect(gate.retryAfterSeconds).toBeGreaterThan(0);
    expect(gate.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(gate.message).toMatch(/Too many failed logins from your address\. Try again in \d+ s\./);

    // Another address is not affected.
    expect(await fail({ ip: "192.0.2.2", account: "user0@example.test" }, webProcess)).toBe(true);
  });

  it("lets the address in again once the minute from its first failure is over", async () => {
    for (let i = 0; i < 10; i++) await fail({ ip: "192.0.2.3", account: `u${i}@x.test` }, webProcess);
    expect((await openLoginGate({ ip: "192.0.2.3", account: "a@x.test" }, { db: webProcess })).allowed).toBe(false);
    await getPool().query("UPDATE rate_limits SET window_start = window_start - interval '61 seconds' WHERE key = 'login-ip:192.0.2.3'");
    const gate = await openLoginGate({ ip: "192.0.2.3", account: "a@x.test" }, { db: webProcess });
    expect(gate.allowed).toBe(true);
  });

  it("does not count successful logins, and a refused attempt cannot be retried into success", async () => {
    for (let i = 0; i < 20; i++) {
      const gate = await openLoginGate({ ip: "192.0.2.4", account: "ok@x.test" }, { db: webProcess });
      expect(gate.allowed).toBe(true);
      if (gate.allowed) await gate.finish("success");
    }
    for (let i = 0; i < 10; i++) await fail({ ip: "192.0.2.4", account: "ok@x.test" }, imapProcess);
    for (let i = 0; i < 3; i++) {
      expect((await openLoginGate({ ip: "192.0.2.4", account: "ok@x.test" }, { db: webProcess })).allowed).toBe(false);
    }
  });

  it("holds under concurrency: of 80 parallel attempts from one address, at most 50 get through", async () => {
    const results = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        openLoginGate({ ip: "192.0.2.5", account: `p${i}@x.test` }, { db: i % 2 ? imapProcess : webProcess, sleep: noWait }),
      ),
    );
    expect(results.filter((g) => g.allowed)).toHaveLength(LOGIN_LIMITS.ipMaxFailures + LOGIN_LIMITS.ipMaxInFlight);
    // Their failures then close the address for the rest of the minute.
    for (const g of results) if (g.allowed) await g.finish("failure");
    expect((await openLoginGate({ ip: "192.0.2.5", account: "late@x.test" }, { db: webProcess })).allowed).toBe(false);
  });

  it("lets many correct logins from one address run at once (NAT, clients with several connections)", async () => {
    const gates = await Promise.all(
      Array.from({ length: 30 }, (_, i) => openLoginGate({ ip: "192.0.2.6", account: `n${i}@x.test` }, { db: i % 2 ? imapProcess : webProcess, sleep: noWait })),
    );
    expect(gates.every((g) => g.allowed)).toBe(true);
    for (const g of gates) if (g.allowed) await g.finish("success");
    expect((await openLoginGate({ ip: "192.0.2.6", account: "again@x.test" }, { db: webProcess })).allowed).toBe(true);
  });

  it("counts an IPv6 /64 as one address and IPv4-mapped IPv6 as IPv4", () => {
    expect(normalizeIp("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(normalizeIp("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(normalizeIp("[2001:DB8:1:2::5]")).toBe("2001:db8:1:2::/64");
    expect(normalizeIp("::ffff:192.0.2.9")).toBe("192.0.2.9");
    expect(normalizeIp("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(normalizeIp(" 192.0.2.9 ")).toBe("192.0.2.9");
  });

  it("shares the limit between the addresses of one IPv6 /64", async () => {
    for (let i = 0; i < 10; i++) await fail({ ip: `2001:db8:5:6::${i + 1}`, account: `v${i}@x.test` }, webProcess);
    expect((await openLoginGate({ ip: "2001:db8:5:6::ffff", account: "w@x.test" }, { db: webProcess })).allowed).toBe(false);
    expect((await openLoginGate({ ip: "2001:db8:5:7::1", account: "w@x.test" }, { db: webProcess })).allowed).toBe(true);
  });
});

describe("per account, across many addresses", () => {
  it("spaces out attempts after 10 failures, with a doubling gap", () => {
    expect(accountDelayMs(0)).toBe(0);
    expect(accountDelayMs(9)).toBe(0);
    expect(accountDelayMs(10)).toBe(1000);
    expect(accountDelayMs(11)).toBe(2000);
    expect(accountDelayMs(13)).toBe(8000);
    expect(accountDelayMs(50)).toBe(LOGIN_LIMITS.accountMaxDelayMs);
  });

  it("makes attempts from fresh addresses wait their turn, and refuses when the queue is over 30 s", async () => {
    const account = "victim@example.test";
    // Ten failures from ten addresses: no waiting yet, and no address is over its own limit.
    for (let i = 0; i < 10; i++) {
      const waits: number[] = [];
      expect(await fail({ ip: `198.51.100.${i + 1}`, account }, i % 2 ? imapProcess : webProcess, { sleep: async (ms) => void waits.push(ms) })).toBe(true);
      expect(waits).toEqual([]);
    }
    // From now on each attempt takes a turn: gaps of 1 s, 2 s, 4 s, 8 s, 16 s between turns.
    const waited: number[] = [];
    const refused: number[] = [];
    for (let i = 0; i < 8; i++) {
      const gate = await openLoginGate({ ip: `198.51.100.${100 + i}`, account }, { db: i % 2 ? imapProcess : webProcess, sleep: async () => undefined });
      if (!gate.allowed) {
        expect(gate.scope).toBe("account");
        expect(gate.message).toContain("for this account");
        refused.push(i);
        continue;
      }
      waited.push(Math.round(gate.waitedMs / 1000));
      await gate.finish("failure");
    }
    // No fake clock in Postgres: nobody really waited, so turns pile up: 0, 1, 1+2, 3+4, 7+8, 15+16 > 30.
    expect(waited).toEqual([0, 1, 3, 7, 15]);
    expect(refused).toEqual([5, 6, 7]);
  });

  it("a refused attempt takes no turn, so a flood cannot push the owner's turn back for ever", async () => {
    const account = "flooded@example.test";
    await getPool().query(
      "INSERT INTO rate_limits (key, count, window_start) VALUES ($1, 30, now()), ($2, 1, now() + interval '40 seconds')",
      [`login-account:${account}`, `login-turn:${account}`],
    );
    for (let i = 0; i < 5; i++) {
      expect((await openLoginGate({ ip: `203.0.113.${i + 1}`, account }, { db: webProcess })).allowed).toBe(false);
    }
    const turn = await getPool().query("SELECT window_start > now() + interval '41 seconds' AS pushed FROM rate_limits WHERE key = $1", [`login-turn:${account}`]);
    expect(turn.rows[0].pushed).toBe(false);
    // Once the queue has drained, the next attempt gets its turn.
    await getPool().query("UPDATE rate_limits SET window_start = now() WHERE key = $1", [`login-turn:${account}`]);
    expect((await openLoginGate({ ip: "203.0.113.50", account }, { db: webProcess, sleep: noWait })).allowed).toBe(true);
  });

  it("counts the account by its normalised address, and forgets after 15 minutes", async () => {
    for (let i = 0; i < 10; i++) await fail({ ip: `198.51.100.${i + 1}`, account: i % 2 ? " Mixed@Example.TEST" : "mixed@example.test" }, webProcess);
    const r = await getPool().query("SELECT count FROM rate_limits WHERE key = 'login-account:mixed@example.test'");
    expect(r.rows[0].count).toBe(10);
    const slowed = await openLoginGate({ ip: "198.51.100.200", account: "MIXED@example.test" }, { db: webProcess, sleep: noWait });
    expect(slowed.allowed).toBe(true);
    await getPool().query("UPDATE rate_limits SET window_start = window_start - interval '16 minutes' WHERE key = 'login-account:mixed@example.test'");
    const waits: number[] = [];
    await fail({ ip: "198.51.100.201", account: "mixed@example.test" }, webProcess, { sleep: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([]);
  });
});

describe("housekeeping", () => {
  it("resets an address or an account, and prunes old rows", async () => {
    for (let i = 0; i < 10; i++) await fail({ ip: "192.0.2.10", account: "r@x.test" }, webProcess);
    expect((await openLoginGate({ ip: "192.0.2.10", account: "r@x.test" }, { db: webProcess })).allowed).toBe(false);
    await resetLoginLimits({ ip: "192.0.2.10", account: "r@x.test" });
    expect((await openLoginGate({ ip: "192.0.2.10", account: "r@x.test" }, { db: webProcess })).allowed).toBe(true);

    await getPool().query("INSERT INTO rate_limits (key, count, window_start) VALUES ('login-ip:old', 3, now() - interval '2 hours'), ('other:keep', 1, now() - interval '2 hours')");
    expect(await pruneLoginLimits()).toBe(1);
    const left = await getPool().query("SELECT key FROM rate_limits WHERE key IN ('login-ip:old', 'other:keep')");
    expect(left.rows.map((r) => r.key)).toEqual(["other:keep"]);
  });
});
