import { afterAll, beforeAll, expect, it } from "vitest";
import { getPool } from "../../lib/db/client.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { startTestDns, type TestDns } from "../helpers/test-dns.ts";
import { message, RawSmtp, startInbound, type RunningInbound } from "./helpers/smtp-harness.ts";

// The MX writes what it did into the admins' delivery log: accepted messages with their
// SPF/DKIM/DMARC verdicts, and refusals with the stage and reason.

let db: TestDatabase;
let dns: TestDns;
let mx: RunningInbound;

beforeAll(async () => {
  db = await createTestDatabase();
  dns = await startTestDns();
  mx = await startInbound({ dns });
});
afterAll(async () => {
  await mx?.close();
  await dns?.close();
  await db?.drop();
});

it("records accepted and rejected mail with reasons and verdicts", async () => {
  const { domain, users } = await seedUsers(["alice"]);
  const c = await RawSmtp.connect(mx.port);
  expect((await c.read()).code).toBe(220);
  expect((await c.command("EHLO client.example")).code).toBe(250);
  expect((await c.command("MAIL FROM:<sender@remote.example>")).code).toBe(250);
  expect((await c.command(`RCPT TO:<nobody@${domain}>`)).code).toBe(550);
  expect((await c.command("RCPT TO:<victim@elsewhere.example>")).code).toBe(554);
  expect((await c.command(`RCPT TO:<${users.alice.email}>`)).code).toBe(250);
  expect((await c.command("DATA")).code).toBe(354);
  const body = message({ from: "sender@remote.example", to: users.alice.email, subject: "logged" }).replace("Message-ID: <", "Message-ID: <logged-");
  expect((await c.command(body + ".")).code).toBe(250);
  c.close();
  let rows: { status: string; stage: string; reason: string | null; recipients: string[]; spf: string | null; message_id: string | null; remote_ip: string }[] = [];
  for (let i = 0; i < 50 && rows.length < 3; i++) {
    rows = (await getPool().query("SELECT status, stage, reason, recipients, spf, message_id, remote_ip FROM delivery_log ORDER BY id")).rows;
    if (rows.length < 3) await new Promise((r) => setTimeout(r, 50));
  }
  expect(rows.map((r) => [r.status, r.stage, r.recipients])).toEqual([
    ["REJECTED", "rcpt", [`nobody@${domain}`]],
    ["REJECTED", "rcpt", ["victim@elsewhere.example"]],
    ["ACCEPTED", "data", [users.alice.email]],
  ]);
  expect(rows[0].reason).toMatch(/No such user/);
  expect(rows[1].reason).toMatch(/Relay access denied/);
  expect(rows[2].spf).toBeTruthy();
  expect(rows[2].message_id).toMatch(/^<logged-/);
  expect(rows[2].remote_ip).toMatch(/127\.0\.0\.1/);
});
