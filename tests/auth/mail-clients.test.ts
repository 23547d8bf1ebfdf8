import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAppPassword, listAppPasswords } from "../../lib/auth/app-passwords.ts";
import { getPool } from "../../lib/db/client.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { rawMessage, seedUsers } from "../helpers/fixtures.ts";
import { imapClient, startTestImap, type TestImap } from "../imap/helpers.ts";

// App passwords and the shared limiter, seen from a real mail client: imapflow against Pigeon's
// IMAP server (swaks and nodemailer cover submission in tests/submission).

let db: TestDatabase;
let imap: TestImap;
let users: Record<string, { id: number; email: string }>;

beforeAll(async () => {
  db = await createTestDatabase();
  imap = await startTestImap();
  ({ users } = await seedUsers(["alice", "bob"]));
});
afterAll(async () => {
  await imap?.close();
  await db?.drop();
});

describe("mail clients", () => {
  it("sign in to IMAP with an app password (recorded as used), and not with a revoked one", async () => {
    const app = await createAppPassword({ userId: users.alice.id, name: "Thunderbird" });
    await deliverMessage({ raw: rawMessage({ subject: "for the app" }), targets: [{ userId: users.alice.id }] });
    const client = imapClient(imap, { user: users.alice.email, pass: app.password });
    await client.connect();
    const lock = await client.getMailboxLock("INBOX");
    const subjects: string[] = [];
    for await (const m of client.fetch("1:*", { envelope: true })) subjects.push(m.envelope?.subject ?? "");
    lock.release();
    await client.logout();
    expect(subjects).toEqual(["for the app"]);
    const [row] = await listAppPasswords({ userId: users.alice.id });
    expect(row.lastUsedAt).toBeTruthy();

    await getPool().query("UPDATE app_passwords SET revoked_at = now() WHERE id = $1", [app.id]);
    const refused = imapClient(imap, { user: users.alice.email, pass: app.password });
    await expect(refused.connect()).rejects.toThrow();
  });

  it("refuses the 11th failed IMAP login within a minute from one address, even with the right password", async () => {
    for (let i = 0; i < 10; i++) {
      const c = imapClient(imap, { user: users.bob.email, pass: `wrong ${i}` });
      const err = await c.connect().then(() => null, (e: { authenticationFailed?: boolean; responseText?: string }) => e);
      expect(err?.authenticationFailed).toBe(true);
    }
    const c = imapClient(imap, { user: users.bob.email, pass: "correct horse" });
    const err = await c.connect().then(() => null, (e: { responseText?: string; serverResponseCode?: string }) => e);
    expect(err).not.toBeNull();
    expect(`${err?.serverResponseCode ?? ""} ${err?.responseText ?? ""}`).toMatch(/too many|UNAVAILABLE|LIMIT/i);
  });
});
