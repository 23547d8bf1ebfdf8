import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "../../lib/db/client.ts";
import { changePassword, confirmAccountPassword } from "../../lib/auth/account-password.ts";
import { loadOrCreateAuthSecret } from "../../lib/auth/secret.ts";
import {
  createSession,
  hashSessionToken,
  listSessions,
  revokeAllSessions,
  revokeOtherSessions,
  revokeSession,
  revokeSessionByToken,
  validateSession,
} from "../../lib/auth/sessions.ts";
import { verifyMailLogin } from "../../lib/auth/mail-login.ts";
import { verifyWebLogin } from "../../lib/auth/web-login.ts";
import { isAppError } from "../../lib/errors.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seedUsers } from "../helpers/fixtures.ts";

let db: TestDatabase;
let users: Record<string, { id: number; email: string }>;

beforeAll(async () => {
  db = await createTestDatabase();
  users = (await seedUsers(["frank", "grace", "heidi"])).users;
});

afterAll(async () => {
  await db?.drop();
});

describe("sessions", () => {
  it("store only the token's hash, and validate until revoked", async () => {
    const s = await createSession({ userId: users.frank.id, userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/141.0.0.0 Safari/537.36", ip: "192.0.2.1" });
    expect(s.id).toBe(hashSessionToken(s.token));
    const row = await getPool().query("SELECT id FROM sessions WHERE id = $1 OR id = $2", [s.id, s.token]);
    expect(row.rows.map((r) => r.id)).toEqual([s.id]);

    expect(await validateSession({ sessionId: s.id })).toEqual({ sessionId: s.id, userId: users.frank.id, email: users.frank.email, role: "USER" });
    const [listed] = await listSessions({ userId: users.frank.id, currentSessionId: s.id });
    expect(listed).toMatchObject({ id: s.id, browser: "Chrome 141", os: "Windows", ip: "192.0.2.1", current: true });

    await revokeSessionByToken({ token: s.token });
    expect(await validateSession({ sessionId: s.id })).toBeNull();
    expect(await listSessions({ userId: users.frank.id })).toEqual([]);
    await expect(revokeSession({ userId: users.frank.id, sessionId: s.id })).rejects.toSatisfy((e) => isAppError(e, "NOT_FOUND"));
  });

  it("note the last visit at most once a minute", async () => {
    const s = await createSession({ userId: users.frank.id });
    await getPool().query("UPDATE sessions SET last_seen_at = now() - interval '5 minutes' WHERE id = $1", [s.id]);
    await validateSession({ sessionId: s.id });
    const after = await getPool().query<{ age: number }>("SELECT extract(epoch FROM now() - last_seen_at)::float8 AS age FROM sessions WHERE id = $1", [s.id]);
    expect(after.rows[0].age).toBeLessThan(5);
    await getPool().query("UPDATE sessions SET last_seen_at = now() - interval '30 seconds' WHERE id = $1", [s.id]);
    await validateSession({ sessionId: s.id });
    const unchanged = await getPool().query<{ age: number }>("SELECT extract(epoch FROM now() - last_seen_at)::float8 AS age FROM sessions WHERE id = $1", [s.id]);
    expect(unchanged.rows[0].age).toBeGreaterThan(25);
  });

  it("expire", async () => {
    const s = await createSession({ userId: users.frank.id });
    expect(s.expiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 86400_000);
    await getPool().query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [s.id]);
    expect(await validateSession({ sessionId: s.id })).toBeNull();
  });

  it("end one by one, all but this one, or all", async () => {
    const { id } = users.grace;
    const [a, b, c] = [await createSession({ userId: id }), await createSession({ userId: id }), await createSession({ userId: id })];
    await revokeSession({ userId: id, sessionId: b.id });
    expect((await listSessions({ userId: id })).map((s) => s.id).sort()).toEqual([a.id, c.id].sort());
    await expect(revokeSession({ userId: users.frank.id, sessionId: a.id })).rejects.toSatisfy((e) => isAppError(e, "NOT_FOUND"));
    expect(await revokeOtherSessions({ userId: id, keepSessionId: a.id })).toBe(1);
    expect((await listSessions({ userId: id })).map((s) => s.id)).toEqual([a.id]);
    expect(await revokeAllSessions({ userId: id })).toBe(1);
    expect(await listSessions({ userId: id })).toEqual([]);
  });
});

describe("changing the password", () => {
  it("needs the current password, and ends every other session", async () => {
    const { id, email } = users.heidi;
    const here = await createSession({ userId: id });
    const laptop = await createSession({ userId: id });
    const phone = await createSession({ userId: id });

    await expect(changePassword({ userId: id, currentPassword: "wrong", newPassword: "new horse battery", keepSessionId: here.id, ip: "10.4.0.1" })).rejects.toSatisfy((e) =>
      isAppError(e, "INVALID"),
    );
    await expect(changePassword({ userId: id, currentPassword: "correct horse", newPassword: "short", keepSessionId: here.id, ip: "10.4.0.1" })).rejects.toSatisfy((e) =>
      isAppError(e, "INVALID"),
    );
    expect(await validateSession({ sessionId: laptop.id })).not.toBeNull();

    const r = await changePassword({ userId: id, currentPassword: "correct horse", newPassword: "new horse battery", keepSessionId: here.id, ip: "10.4.0.1" });
    expect(r.endedSessions).toBe(2);
    expect(await validateSession({ sessionId: here.id })).not.toBeNull();
    expect(await validateSession({ sessionId: laptop.id })).toBeNull();
    expect(await validateSession({ sessionId: phone.id })).toBeNull();

    expect((await verifyWebLogin({ email, password: "correct horse", ip: "10.4.0.2" })).ok).toBe(false);
    expect((await verifyWebLogin({ email, password: "new horse battery", ip: "10.4.0.2" })).ok).toBe(true);
    expect((await verifyMailLogin({ email, password: "new horse battery", ip: "10.4.0.2", protocol: "imap" })).ok).toBe(true);
  });

  it("re-checks the password through the limiter", async () => {
    const { id } = users.heidi;
    await getPool().query("DELETE FROM rate_limits");
    for (let i = 0; i < 10; i++) {
      await expect(confirmAccountPassword({ userId: id, password: `guess ${i}`, ip: "10.4.0.9" })).rejects.toSatisfy((e) => isAppError(e, "INVALID"));
    }
    await expect(confirmAccountPassword({ userId: id, password: "new horse battery", ip: "10.4.0.9" })).rejects.toSatisfy((e) => isAppError(e, "RATE_LIMITED"));
    await getPool().query("DELETE FROM rate_limits");
  });
});

describe("AUTH_SECRET", () => {
  it("is generated once into DATA_DIR/auth-secret with mode 0600, then reused", () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-secret-")), "nested");
    try {
      const first = loadOrCreateAuthSecret({ dataDir: dir });
      expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const file = path.join(dir, "auth-secret");
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(loadOrCreateAuthSecret({ dataDir: dir })).toBe(first);
      expect(loadOrCreateAuthSecret({ dataDir: dir, configured: "from-env" })).toBe("from-env");
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });
});
