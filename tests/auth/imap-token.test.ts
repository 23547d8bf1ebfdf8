import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "../../lib/db/client.ts";
import { IMAP_TOKEN_TTL_SECONDS, mintImapToken, readImapToken, verifyImapToken } from "../../lib/auth/imap-token.ts";
import { deriveKey } from "../../lib/auth/secret.ts";
import { createSession, revokeOtherSessions, revokeSession } from "../../lib/auth/sessions.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seedUsers } from "../helpers/fixtures.ts";

// The web's short-lived IMAP credential (AUTHENTICATE OAUTHBEARER / XOAUTH2): signed, expiring,
// and dead as soon as its web session is.

let db: TestDatabase;
let alice: { id: number; email: string };
let bob: { id: number; email: string };

beforeAll(async () => {
  process.env.AUTH_SECRET = "imap-token-test-secret-0123456789abcdef";
  db = await createTestDatabase();
  const seeded = await seedUsers(["alice", "bob"]);
  alice = seeded.users.alice;
  bob = seeded.users.bob;
});

afterAll(async () => {
  await db?.drop();
});

describe("IMAP tokens", () => {
  it("name the session's user, and match the SASL authorization identity", async () => {
    const s = await createSession({ userId: alice.id, userAgent: "test", ip: "127.0.0.1" });
    const token = mintImapToken({ sessionId: s.id, userId: alice.id });
    expect(token).toMatch(/^pgi1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(await verifyImapToken(token)).toEqual({ userId: alice.id, email: alice.email, sessionId: s.id });
    expect(await verifyImapToken(token, { email: alice.email.toUpperCase() })).toEqual({ userId: alice.id, email: alice.email, sessionId: s.id });
    expect(await verifyImapToken(token, { email: bob.email })).toBeNull();
  });

  it("expire after ten minutes", async () => {
    const s = await createSession({ userId: alice.id });
    const minted = new Date("2026-01-01T10:00:00Z");
    const token = mintImapToken({ sessionId: s.id, userId: alice.id, now: minted });
    expect(IMAP_TOKEN_TTL_SECONDS).toBe(600);
    const at = (seconds: number) => new Date(minted.getTime() + seconds * 1000);
    expect(await verifyImapToken(token, { now: at(599) })).not.toBeNull();
    expect(await verifyImapToken(token, { now: at(600) })).toBeNull();
    expect(await verifyImapToken(token)).toBeNull(); // minted in the past: long expired today

    const short = mintImapToken({ sessionId: s.id, userId: alice.id, ttlSeconds: 1 });
    expect(await verifyImapToken(short)).not.toBeNull();
    expect(await verifyImapToken(short, { now: new Date(Date.now() + 1500) })).toBeNull();
  });

  it("die with their session: sign-out, the Devices page, a password change", async () => {
    const s = await createSession({ userId: alice.id });
    const token = mintImapToken({ sessionId: s.id, userId: alice.id });
    expect(await verifyImapToken(token)).not.toBeNull();
    await revokeSession({ userId: alice.id, sessionId: s.id });
    expect(await verifyImapToken(token)).toBeNull();

    const keep = await createSession({ userId: alice.id });
    const other = await createSession({ userId: alice.id });
    const otherToken = mintImapToken({ sessionId: other.id, userId: alice.id });
    await revokeOtherSessions({ userId: alice.id, keepSessionId: keep.id });
    expect(await verifyImapToken(otherToken)).toBeNull();
    expect(await verifyImapToken(mintImapToken({ sessionId: keep.id, userId: alice.id }))).not.toBeNull();
  });

  it("are refused when the session has expired or the user is disabled", async () => {
    const s = await createSession({ userId: bob.id });
    const token = mintImapToken({ sessionId: s.id, userId: bob.id });
    await getPool().query("UPDATE users SET disabled = true WHERE id = $1", [bob.id]);
    expect(await verifyImapToken(token)).toBeNull();
    await getPool().query("UPDATE users SET disabled = false WHERE id = $1", [bob.id]);
    expect(await verifyImapToken(token)).not.toBeNull();
    await getPool().query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [s.id]);
    expect(await verifyImapToken(token)).toBeNull();
  });

  it("cannot be forged, altered or pointed at another user's session", async () => {
    const s = await createSession({ userId: alice.id });
    const token = mintImapToken({ sessionId: s.id, userId: alice.id });
    const [prefix, body, sig] = token.split(".");

    // Claim bob's id on alice's session: the signature no longer matches.
    const claims = JSON.parse(Buffer.from(body, "base64url").toString());
    const altered = `${prefix}.${Buffer.from(JSON.stringify({ ...claims, u: bob.id })).toString("base64url")}.${sig}`;
    expect(await verifyImapToken(altered)).toBeNull();

    // Even correctly signed (someone holding AUTH_SECRET's derived key), a session and a user that
    // do not belong together are refused by the database check.
    const mismatched = mintImapToken({ sessionId: s.id, userId: bob.id });
    expect(readImapToken(mismatched)).not.toBeNull();
    expect(await verifyImapToken(mismatched)).toBeNull();

    for (const bad of ["", "pgi1.", "pgi1..", `${prefix}.${body}`, `${prefix}.${body}.${sig}x`, token.replace("pgi1.", "pgi2."), "x".repeat(5000)]) {
      expect(await verifyImapToken(bad), bad.slice(0, 40)).toBeNull();
    }
  });

  it("are signed with a key of their own, derived from AUTH_SECRET", () => {
    expect(deriveKey("imap-token").equals(deriveKey("something-else"))).toBe(false);
    expect(deriveKey("imap-token", "secret-a").equals(deriveKey("imap-token", "secret-b"))).toBe(false);
  });
});
