import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addAlias } from "../../lib/accounts/aliases.ts";
import { createAppPassword } from "../../lib/auth/app-passwords.ts";
import { resetLoginLimits } from "../../lib/auth/rate-limit.ts";
import { getPool } from "../../lib/db/client.ts";
import { parseTopHeaders } from "../../lib/mime/structure.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { startSubmission, type RunningSubmission } from "./helpers.ts";

// Submission driven by swaks (apt-get install swaks), a client independent of Node's: STARTTLS on
// the submission port, implicit TLS on the SMTPS port, AUTH PLAIN and LOGIN.

const PASSWORD = "correct horse";
let db: TestDatabase;
let srv: RunningSubmission;
let domain: string;
let users: Record<string, { id: number; email: string }>;
let appPassword: string;

beforeAll(async () => {
  db = await createTestDatabase();
  srv = await startSubmission({ databaseUrl: db.url, maxMessageSize: 64 * 1024 });
  ({ domain, users } = await seedUsers(["alice", "bob"]));
  await addAlias({ address: `sales@${domain}`, to: [users.alice.email] });
  appPassword = (await createAppPassword({ userId: users.alice.id, name: "swaks" })).password;
});

afterAll(async () => {
  await srv?.close();
  await db?.drop();
});

/** Runs swaks (never synchronously: the server runs in this process). */
function swaks(port: number, ...args: string[]): Promise<{ code: number; output: string }> {
  const base = ["--server", "127.0.0.1", "--port", String(port), "--ehlo", "swaks.example", "--to", users.bob.email];
  return new Promise((resolve, reject) => {
    execFile("swaks", [...base, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? Number(err.code) : 0, output: stdout + stderr });
    });
  });
}

const asAlice = (pass = PASSWORD, method = "PLAIN") => ["--from", users.alice.email, "--auth", method, "--auth-user", users.alice.email, "--auth-password", pass];

async function bobSubjects(): Promise<string[]> {
  const r = await getPool().query<{ data: Buffer }>(
    "SELECT b.data FROM messages m JOIN blobs b ON b.hash = m.blob_hash WHERE m.user_id = $1 ORDER BY m.id",
    [users.bob.id],
  );
  return r.rows.map((row) => parseTopHeaders(row.data).find((h) => h.name === "subject")?.value ?? "");
}

describe("swaks", () => {
  it("sends over STARTTLS with AUTH PLAIN and the account password", async () => {
    const r = await swaks(srv.port, "-tls", ...asAlice(), "--header", "Subject: swaks starttls plain");
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/<[-~] {1,2}235 2\.7\.0 /);
    expect(r.output).toMatch(/<[-~] {1,2}250 2\.6\.0 Ok: queued as \d+/);
    expect(await bobSubjects()).toContain("swaks starttls plain");
  });

  it("sends over STARTTLS with AUTH LOGIN and an app password", async () => {
    const r = await swaks(srv.port, "-tls", ...asAlice(appPassword, "LOGIN"), "--header", "Subject: swaks starttls login");
    expect(r.code, r.output).toBe(0);
    expect(await bobSubjects()).toContain("swaks starttls login");
  });

  it("sends over implicit TLS with an app password, typed with spaces", async () => {
    const r = await swaks(srv.tlsPort, "--tls-on-connect", ...asAlice(appPassword), "--header", "Subject: swaks smtps");
    expect(r.code, r.output).toBe(0);
    expect(await bobSubjects()).toContain("swaks smtps");
  });

  it("sends from an alias the user owns", async () => {
    const r = await swaks(srv.port, "-tls", ...asAlice(), "--from", `sales@${domain}`, "--header", "Subject: swaks alias");
    expect(r.code, r.output).toBe(0);
    expect(await bobSubjects()).toContain("swaks alias");
  });

  it("finds no AUTH without TLS", async () => {
    const r = await swaks(srv.port, ...asAlice(), "--header", "Subject: swaks cleartext");
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/<[-~] {1,2}250-STARTTLS/);
    expect(r.output).not.toMatch(/<[-~] {1,2}250[- ]AUTH/);
    expect(r.output).toMatch(/Host did not advertise authentication/);
    expect(await bobSubjects()).not.toContain("swaks cleartext");
  });

  it("gets 535 5.7.8 for a wrong password", async () => {
    const r = await swaks(srv.port, "-tls", ...asAlice("not the password"), "--quit-after", "AUTH");
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/<[~*]\* 535 5\.7\.8 /);
    await resetLoginLimits({ ip: "127.0.0.1", account: users.alice.email });
  });

  it("gets 550 5.7.1 for someone else's envelope sender and From: header", async () => {
    const envelope = await swaks(srv.port, "-tls", ...asAlice(), "--from", users.bob.email, "--quit-after", "MAIL");
    expect(envelope.output).toMatch(/<[~*]\* 550 5\.7\.1 .*not owned by/);
    const header = await swaks(srv.port, "-tls", ...asAlice(), "--header", `From: Bob <${users.bob.email}>`, "--header", "Subject: swaks spoof");
    expect(header.code).not.toBe(0);
    expect(header.output).toMatch(/<[~*]\* 550 5\.7\.1 Message refused: From address/);
    expect(await bobSubjects()).not.toContain("swaks spoof");
  });

  it("gets 552 5.3.4 for a message over the size limit", async () => {
    const r = await swaks(srv.port, "-tls", ...asAlice(), "--header", "Subject: swaks big", "--body", ("y".repeat(76) + "\n").repeat(1000));
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/<[~*]\* 552 5\.3\.4 /);
  });
});
