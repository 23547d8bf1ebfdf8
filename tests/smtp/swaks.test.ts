import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addAlias } from "../../lib/accounts/aliases.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { startTestDns, type TestDns } from "../helpers/test-dns.ts";
import { headerLines, startInbound, storedMessages, type RunningInbound } from "./helpers/smtp-harness.ts";

// The MX driven by swaks (apt-get install swaks), a client independent of Node's.

let db: TestDatabase;
let dns: TestDns;
let mx: RunningInbound;
let domain: string;
let users: Record<string, { id: number; email: string }>;

beforeAll(async () => {
  db = await createTestDatabase();
  dns = await startTestDns();
  mx = await startInbound({ dns, maxMessageSize: 64 * 1024 });
  ({ domain, users } = await seedUsers(["alice", "bob"]));
  await addAlias({ address: `both@${domain}`, to: [users.alice.email, users.bob.email] });
});

afterAll(async () => {
  await mx?.close();
  await dns?.close();
  await db?.drop();
});

/** Runs swaks against the MX (never synchronously: the server runs in this process). */
function swaks(...args: string[]): Promise<{ code: number; output: string }> {
  const base = ["--server", "127.0.0.1", "--port", String(mx.port), "--ehlo", "swaks.example", "--from", "s@remote.example"];
  return new Promise((resolve, reject) => {
    execFile("swaks", [...base, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? Number(err.code) : 0, output: stdout + stderr });
    });
  });
}

const subjects = async (userId: number) => (await storedMessages(userId)).map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1]);

describe("swaks", () => {
  it("delivers to one user", async () => {
    const r = await swaks("--to", users.alice.email, "--header", "Subject: swaks one", "--body", "hello from swaks");
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/<- {2}250 2\.6\.0 Ok: delivered as /);
    expect(await subjects(users.alice.id)).toContain("swaks one");
  });

  it("delivers to several users and through an alias, pipelined", async () => {
    const r = await swaks("--pipeline", "--to", `${users.bob.email},both@${domain}`, "--header", "Subject: swaks many");
    expect(r.code, r.output).toBe(0);
    expect((await subjects(users.alice.id)).filter((s) => s === "swaks many")).toHaveLength(1);
    expect((await subjects(users.bob.id)).filter((s) => s === "swaks many")).toHaveLength(1);
  });

  it("delivers after STARTTLS", async () => {
    const r = await swaks("-tls", "--to", users.bob.email, "--header", "Subject: swaks tls");
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/TLS started/);
    const [m] = (await storedMessages(users.bob.id)).filter((x) => x.raw.includes("Subject: swaks tls"));
    expect(headerLines(m.raw)[1]).toMatch(/^Received: from swaks\.example .* with ESMTPS id /);
  });

  it("gets 550 5.1.1 for an unknown user", async () => {
    const r = await swaks("--to", `nobody@${domain}`, "--quit-after", "RCPT");
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/<\*\* 550 5\.1\.1 /);
  });

  it("gets 554 5.7.1 for relay attempts", async () => {
    for (const to of ["victim@elsewhere.example", `victim%elsewhere.example@${domain}`, `@${domain}:victim@elsewhere.example`, "alice@[127.0.0.1]"]) {
      const r = await swaks("--to", to, "--quit-after", "RCPT");
      expect(r.code, to).not.toBe(0);
      expect(r.output, to).toMatch(/<\*\* 554 5\.7\.1 .*Relay access denied/);
    }
  });

  it("gets 552 5.3.4 for a message over the size limit", async () => {
    const r = await swaks("--to", users.alice.email, "--header", "Subject: swaks big", "--body", ("y".repeat(76) + "\n").repeat(1000));
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/<\*\* 552 5\.3\.4 /);
    expect(await subjects(users.alice.id)).not.toContain("swaks big");
  });
});
