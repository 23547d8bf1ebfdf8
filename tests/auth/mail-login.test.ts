import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb, getPool } from "../../lib/db/client.ts";
import {
  createAppPassword,
  generateAppPassword,
  listAppPasswords,
  normalizeAppPassword,
  revokeAppPassword,
  setMailPasswordAllowed,
} from "../../lib/auth/app-passwords.ts";
import { verifyMailLogin } from "../../lib/auth/mail-login.ts";
import { isAppError } from "../../lib/errors.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seedUsers } from "../helpers/fixtures.ts";

// verifyMailLogin: what the IMAP, POP3 and submission servers call for LOGIN / AUTH PLAIN.
// (Logins through imapflow / swaks against the real servers are added with those servers.)

let db: TestDatabase;
let alice: { id: number; email: string };
let bob: { id: number; email: string };
let ipCounter = 0;
const ip = () => `10.1.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;

beforeAll(async () => {
  db = await createTestDatabase();
  const seeded = await seedUsers(["alice", "bob"]);
  alice = seeded.users.alice;
  bob = seeded.users.bob;
});

afterAll(async () => {
  await db?.drop();
});

beforeEach(async () => {
  await getPool().query("DELETE FROM rate_limits");
  await getPool().query("UPDATE users SET mail_password_allowed = true, totp_enabled = false, disabled = false");
});

describe("app passwords", () => {
  it("are 16 letters in four groups, and accepted however they are typed", () => {
    const p = generateAppPassword();
    expect(p).toMatch(/^[a-z]{4} [a-z]{4} [a-z]{4} [a-z]{4}$/);
    expect(normalizeAppPassword(p.toUpperCase())).toBe(p.replace(/ /g, ""));
    expect(normalizeAppPassword(p.replace(/ /g, "-"))).toBe(p.replace(/ /g, ""));
    expect(normalizeAppPassword("correct horse")).toBeNull();
  });

  it("log in to every protocol, record last use, and stop working once revoked", async () => {
    const created = await createAppPassword({ userId: alice.id, name: "  Thunderbird   laptop " });
    expect(created.name).toBe("Thunderbird laptop");
    expect((await listAppPasswords({ userId: alice.id })).find((p) => p.id === created.id)?.lastUsedAt).toBeNull();

    for (const protocol of ["imap", "pop3", "smtp"] as const) {
      const r = await verifyMailLogin({ email: alice.email, password: created.password, ip: ip(), protocol });
      expect(r).toEqual({ ok: true, userId: alice.id, email: alice.email, method: "app-password", appPasswordId: created.id });
    }
    const typed = created.password.replace(/ /g, "").toUpperCase();
    expect((await verifyMailLogin({ email: ` ${alice.email.toUpperCase()} `, password: typed, ip: ip(), protocol: "imap" })).ok).toBe(true);

    const used = (await listAppPasswords({ userId: alice.id })).find((p) => p.id === created.id)!;
    expect(used.lastUsedAt).toBeInstanceOf(Date);
    expect(Date.now() - used.lastUsedAt!.getTime()).toBeLessThan(60_000);

    await revokeAppPassword({ userId: alice.id, id: created.id });
    expect(await verifyMailLogin({ email: alice.email, password: created.password, ip: ip(), protocol: "imap" })).toEqual({ ok: false, reason: "invalid" });
    expect((await listAppPasswords({ userId: alice.id })).some((p) => p.id === created.id)).toBe(false);
  });

  it("belong to one user: alice's app password does not open bob's account", async () => {
    const created = await createAppPassword({ userId: alice.id, name: "phone" });
    expect(await verifyMailLogin({ email: bob.email, password: created.password, ip: ip(), protocol: "imap" })).toEqual({ ok: false, reason: "invalid" });
    await expect(revokeAppPassword({ userId: bob.id, id: created.id })).rejects.toSatisfy((e) => isAppError(e, "NOT_FOUND"));
  });

  it("are stored hashed, never in clear", async () => {
    const created = await createAppPassword({ userId: alice.id, name: "hash check" });
    const row = await getDb().appPassword.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.passwordHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(row.passwordHash).not.toContain(created.password.replace(/ /g, ""));
  });

  it("need a name", async () => {
    await expect(createAppPassword({ userId: alice.id, name: "   " })).rejects.toSatisfy((e) => isAppError(e, "INVALID"));
    await expect(createAppPassword({ userId: alice.id, name: "x".repeat(65) })).rejects.toSatisfy((e) => isAppError(e, "INVALID"));
  });
});

describe("the account password", () => {
  it("works for mail clients by default", async () => {
    const r = await verifyMailLogin({ email: bob.email, password: "correct horse", ip: ip(), protocol: "pop3" });
    expect(r).toEqual({ ok: true, userId: bob.id, email: bob.email, method: "password" });
    expect(await verifyMailLogin({ email: bob.email, password: "wrong horse", ip: ip(), protocol: "pop3" })).toEqual({ ok: false, reason: "invalid" });
  });

  it("is refused when the user turned it off, while app passwords keep working", async () => {
    const app = await createAppPassword({ userId: bob.id, name: "laptop" });
    await setMailPasswordAllowed({ userId: bob.id, allowed: false });
    expect(await verifyMailLogin({ email: bob.email, password: "correct horse", ip: ip(), protocol: "imap" })).toEqual({ ok: false, reason: "invalid" });
    expect((await verifyMailLogin({ email: bob.email, password: app.password, ip: ip(), protocol: "imap" })).ok).toBe(true);
    await setMailPasswordAllowed({ userId: bob.id, allowed: true });
    expect((await verifyMailLogin({ email: bob.email, password: "correct horse", ip: ip(), protocol: "imap" })).ok).toBe(true);
  });

  it("is refused when the user has two-factor sign-in on (a mail client cannot ask for a code)", async () => {
    const app = await createAppPassword({ userId: bob.id, name: "with 2fa" });
    await getPool().query("UPDATE users SET totp_enabled = true, totp_secret = 'JBSWY3DPEHPK3PXP' WHERE id = $1", [bob.id]);
    expect(await verifyMailLogin({ email: bob.email, password: "correct horse", ip: ip(), protocol: "smtp" })).toEqual({ ok: false, reason: "invalid" });
    expect((await verifyMailLogin({ email: bob.email, password: app.password, ip: ip(), protocol: "smtp" })).ok).toBe(true);
  });
});

describe("refusals", () => {
  it("says 'disabled' only to someone who knows the password", async () => {
    await getPool().query("UPDATE users SET disabled = true WHERE id = $1", [alice.id]);
    expect(await verifyMailLogin({ email: alice.email, password: "correct horse", ip: ip(), protocol: "imap" })).toEqual({ ok: false, reason: "disabled" });
    expect(await verifyMailLogin({ email: alice.email, password: "wrong", ip: ip(), protocol: "imap" })).toEqual({ ok: false, reason: "invalid" });
  });

  it("treats an unknown account like a wrong password", async () => {
    expect(await verifyMailLogin({ email: "nobody@nowhere.test", password: "correct horse", ip: ip(), protocol: "imap" })).toEqual({ ok: false, reason: "invalid" });
  });

  it("goes through the shared limiter: the 11th failure from one address is refused, even with the right password", async () => {
    const from = "10.99.0.1";
    for (let i = 0; i < 10; i++) {
      const protocol = (["imap", "pop3", "smtp"] as const)[i % 3];
      expect(await verifyMailLogin({ email: alice.email, password: `guess ${i}`, ip: from, protocol })).toEqual({ ok: false, reason: "invalid" });
    }
    const r = await verifyMailLogin({ email: alice.email, password: "correct horse", ip: from, protocol: "imap" });
    expect(r).toMatchObject({ ok: false, reason: "rate-limited" });
    if (!r.ok && r.reason === "rate-limited") expect(r.retryAfterSeconds).toBeGreaterThan(0);
    // The owner, from home, still gets in (slowed only after 10 failures on the account: the 11th waits 1 s).
    const home = await verifyMailLogin({ email: alice.email, password: "correct horse", ip: "10.99.0.2", protocol: "imap", limiter: { sleep: async () => undefined } });
    expect(home.ok).toBe(true);
  });
});
