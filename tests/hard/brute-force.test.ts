import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { CookieJar, signInOverHttp, startWebServer, type WebServer } from "../helpers/web.ts";
import { startMailWorkers, type MailWorkers } from "./helpers/mail-workers.ts";
import { RawClient } from "./helpers/raw-client.ts";

// Issue 12, item 4: the one failed-login limiter of lib/auth/rate-limit.ts, seen from outside on
// every protocol that takes a password: the web sign-in (next start), IMAP, POP3 and SMTP
// submission (their workers, each in its own process). Client addresses: 127.0.0.x source
// addresses for the mail protocols (still loopback), X-Forwarded-For for the web.

type Protocol = "web" | "imap" | "pop3" | "smtp";
type Outcome = "ok" | "invalid" | "limited" | "waiting";
const PROTOCOLS: Protocol[] = ["web", "imap", "pop3", "smtp"];
const PASSWORD = "correct horse";

let db: TestDatabase;
let workers: MailWorkers;
let web: WebServer;
let domain: string;
let users: Record<string, { id: number; email: string }>;
const figures: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  const names = ["shared", ...PROTOCOLS.flatMap((p) => [`owner-${p}`, `victim-${p}`])];
  ({ domain, users } = await seedUsers(names));
  workers = await startMailWorkers({ databaseUrl: db.url, which: ["smtp", "imap", "pop3"] });
  web = await startWebServer({ databaseUrl: db.url });
}, 360_000);

afterAll(async () => {
  console.log(`brute force figures:\n${figures.join("\n")}`);
  await web?.stop();
  await workers?.stop();
  await db?.drop();
});

/** One login attempt on its own connection; "waiting" when no answer came within `patienceMs`. */
async function attempt(protocol: Protocol, ip: string, email: string, password: string, patienceMs = 60_000): Promise<{ outcome: Outcome; ms: number }> {
  const t0 = performance.now();
  const done = (outcome: Outcome) => ({ outcome, ms: performance.now() - t0 });
  if (protocol === "web") {
    // signInOverHttp takes no abort signal: after `patienceMs` the attempt counts as waiting and
    // its request is left to finish on its own.
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<"waiting">((resolve) => (timer = setTimeout(() => resolve("waiting"), patienceMs)));
    const signIn = signInOverHttp(web, new CookieJar(), { email, password }, { "x-forwarded-for": ip }).then((r) => {
      if (r.location === `${web.url}/mail`) return "ok" as const;
      const code = new URL(r.location).searchParams.get("code");
      if (code === "rate-limited") return "limited" as const;
      if (code === "invalid") return "invalid" as const;
      throw new Error(`web: ${r.status} ${r.location}`);
    });
    signIn.catch(() => undefined);
    try {
      return done(await Promise.race([signIn, patience]));
    } finally {
      clearTimeout(timer);
    }
  }
  const port = protocol === "imap" ? workers.ports.imaps : protocol === "pop3" ? workers.ports.pop3s : workers.ports.smtps;
  const c = await RawClient.connect({ port, tls: true, localAddress: ip });
  try {
    if (protocol === "imap") {
      await c.line();
      const r = await c.imap("a", `LOGIN "${email}" "${password}"`, patienceMs).catch(() => null);
      if (r === null) return done("waiting");
      if (/a OK/.test(r)) return done("ok");
      if (/\[UNAVAILABLE\]/.test(r)) return done("limited");
      if (/\[AUTHENTICATIONFAILED\]/.test(r)) return done("invalid");
      throw new Error(`imap: ${r}`);
    }
    if (protocol === "pop3") {
      await c.popLine();
      await c.pop(`USER ${email}`);
      const r = await c.pop(`PASS ${password}`, patienceMs).catch(() => null);
      if (r === null) return done("waiting");
      if (r.startsWith("+OK")) return done("ok");
      if (/LOGIN-DELAY|SYS\/TEMP/.test(r)) return done("limited");
      if (/^-ERR \[AUTH\]/.test(r)) return done("invalid");
      throw new Error(`pop3: ${r}`);
    }
    await c.smtpReply();
    await c.smtp("EHLO client.example");
    const r = await c.smtp(`AUTH PLAIN ${Buffer.from(`\0${email}\0${password}`).toString("base64")}`, patienceMs).catch(() => null);
    if (r === null) return done("waiting");
    if (r.code === 235) return done("ok");
    if (r.code === 421 || r.code === 454) return done("limited");
    if (r.code === 535) return done("invalid");
    throw new Error(`smtp: ${r.text}`);
  } finally {
    c.close();
  }
}

describe("per address: the 11th failed login within a minute is refused", () => {
  it("on each protocol alone, even with the right password, while other addresses get in", async () => {
    await Promise.all(
      PROTOCOLS.map(async (p, k) => {
        const ip = `127.0.0.${10 + k}`;
        const first: Outcome[] = [];
        for (let i = 1; i <= 10; i++) first.push((await attempt(p, ip, `nobody${i}@${domain}`, "wrong")).outcome);
        expect(first, p).toEqual(Array(10).fill("invalid"));
        const after: Outcome[] = [];
        for (let i = 0; i < 5; i++) after.push((await attempt(p, ip, users[`owner-${p}`].email, PASSWORD)).outcome);
        expect(after, p).toEqual(Array(5).fill("limited"));
        const elsewhere = await attempt(p, `127.0.0.${30 + k}`, users[`owner-${p}`].email, PASSWORD);
        expect(elsewhere.outcome, p).toBe("ok");
        figures.push(`per address, ${p}: 10 failures answered "invalid", then ${after.filter((o) => o === "limited").length}/5 right-password attempts refused; another address logs in`);
      }),
    );
  }, 120_000);

  it("across protocols: 3 IMAP + 3 POP3 + 2 SMTP + 2 web failures from one address close all four", async () => {
    const ip = "127.0.0.50";
    const plan: Protocol[] = ["imap", "imap", "imap", "pop3", "pop3", "pop3", "smtp", "smtp", "web", "web"];
    for (const [i, p] of plan.entries()) expect((await attempt(p, ip, `ghost${i}@${domain}`, "wrong")).outcome, `${p} #${i + 1}`).toBe("invalid");
    const refused: string[] = [];
    for (const p of PROTOCOLS) {
      const r = await attempt(p, ip, users.shared.email, PASSWORD);
      expect(r.outcome, p).toBe("limited");
      refused.push(p);
    }
    figures.push(`per address, shared: 10 failures spread over IMAP/POP3/SMTP/web, then the right password refused on ${refused.join(", ")}`);
  }, 120_000);
});

describe("per account: failures from many addresses slow further attempts down", () => {
  it("spaces attempts 1 s, 2 s, 4 s apart after 10 failures, and refuses a burst whose turn is over 30 s away", async () => {
    await Promise.all(
      PROTOCOLS.map(async (p, k) => {
        const victim = users[`victim-${p}`].email;
        // Every attempt from an address of its own: the per-address rule never applies.
        let n = 0;
        const nextIp = () => (p === "web" ? `198.51.${k}.${++n}` : `127.${k + 1}.0.${++n}`);
        const free: number[] = [];
        for (let i = 0; i < 10; i++) {
          const r = await attempt(p, nextIp(), victim, `wrong ${i}`);
          expect(r.outcome).toBe("invalid");
          free.push(r.ms);
        }
        const slowed: number[] = [];
        for (let i = 0; i < 4; i++) {
          const r = await attempt(p, nextIp(), victim, `wrong again ${i}`);
          expect(r.outcome, `${p} slowed attempt ${i + 1}`).toBe("invalid");
          slowed.push(r.ms);
        }
        // Attempt 11 runs at once and sets the next turn 1 s later; 12 waits for it (about 1 s),
        // 13 about 2 s, 14 about 4 s (each minus the time the previous attempt took).
        expect(slowed[1], `${p}: ${slowed}`).toBeGreaterThan(600);
        expect(slowed[2], `${p}: ${slowed}`).toBeGreaterThan(1500);
        expect(slowed[3], `${p}: ${slowed}`).toBeGreaterThan(3300);
        // Now 16 s between turns: of a burst of 8 from fresh addresses, at most two get a turn
        // within 30 s; the others are refused at once.
        const burst = await Promise.all(Array.from({ length: 8 }, () => attempt(p, nextIp(), victim, PASSWORD, 3000)));
        const limited = burst.filter((b) => b.outcome === "limited");
        expect(limited.length, `${p}: ${burst.map((b) => b.outcome)}`).toBeGreaterThanOrEqual(6);
        expect(burst.some((b) => b.outcome === "ok"), p).toBe(false);
        expect(Math.max(...limited.map((b) => b.ms)), p).toBeLessThan(3000);
        const avg = (xs: number[]) => (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(0);
        figures.push(
          `per account, ${p}: 10 failures from 10 addresses (avg ${avg(free)} ms each), then attempts 11–14 took ${slowed.map((x) => x.toFixed(0)).join(", ")} ms; ` +
            `burst of 8: ${limited.length} refused at once, ${burst.filter((b) => b.outcome === "waiting").length} waiting for a turn`,
        );
      }),
    );
  }, 180_000);
});
