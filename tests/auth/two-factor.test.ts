import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, getPool } from "../../lib/db/client.ts";
import { countRecoveryCodes, normalizeRecoveryCode, regenerateRecoveryCodes, spendRecoveryCode } from "../../lib/auth/recovery-codes.ts";
import {
  cancelTotpEnrolment,
  confirmTotpEnrolment,
  disableTotp,
  getTwoFactorState,
  matchTotpStep,
  startTotpEnrolment,
  totpCode,
  totpUri,
  verifyTotpForUser,
} from "../../lib/auth/totp.ts";
import { verifyWebLogin } from "../../lib/auth/web-login.ts";
import { isAppError } from "../../lib/errors.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seedUsers } from "../helpers/fixtures.ts";

let db: TestDatabase;
let users: Record<string, { id: number; email: string }>;
let n = 0;
const ip = () => `10.2.0.${++n}`;

beforeAll(async () => {
  db = await createTestDatabase();
  users = (await seedUsers(["carol", "dave", "erin"])).users;
});

afterAll(async () => {
  await db?.drop();
});

describe("TOTP (RFC 6238)", () => {
  it("matches the RFC's SHA-1 test vectors", () => {
    // RFC 6238 Appendix B, secret "12345678901234567890" (base32 below), 6 digits of the 8 shown.
    const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    expect(totpCode({ secret, now: new Date(59 * 1000) })).toBe("287082");
    expect(totpCode({ secret, now: new Date(1111111109 * 1000) })).toBe("081804");
    expect(totpCode({ secret, now: new Date(1234567890 * 1000) })).toBe("005924");
    expect(totpCode({ secret, now: new Date(2000000000 * 1000) })).toBe("279037");
  });

  it("accepts one step of drift either way, not two", () => {
    const secret = "JBSWY3DPEHPK3PXP";
    const now = new Date("2026-03-01T12:00:10Z");
    const step = Math.floor(now.getTime() / 30_000);
    const at = (s: number) => new Date(now.getTime() + s * 30_000);
    expect(matchTotpStep({ secret, code: totpCode({ secret, now }), now })).toBe(step);
    expect(matchTotpStep({ secret, code: totpCode({ secret, now: at(-1) }), now })).toBe(step - 1);
    expect(matchTotpStep({ secret, code: totpCode({ secret, now: at(1) }), now })).toBe(step + 1);
    expect(matchTotpStep({ secret, code: totpCode({ secret, now: at(2) }), now })).toBeNull();
    expect(matchTotpStep({ secret, code: "12345", now })).toBeNull();
    const spaced = totpCode({ secret, now }).replace(/(\d{3})/, "$1 ");
    expect(matchTotpStep({ secret, code: spaced, now })).toBe(step);
  });

  it("gives authenticator apps an otpauth:// URI", () => {
    expect(totpUri({ secret: "JBSWY3DPEHPK3PXP", email: "carol@example.test" })).toBe(
      "otpauth://totp/Pigeon:carol%40example.test?issuer=Pigeon&secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30",
    );
  });
});

describe("enrolment", () => {
  it("is pending until confirmed with a code, then on with ten recovery codes", async () => {
    const { id } = users.carol;
    expect(await getTwoFactorState({ userId: id })).toEqual({ status: "off" });
    const { secret } = await startTotpEnrolment({ userId: id });
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const pending = await getTwoFactorState({ userId: id });
    expect(pending).toMatchObject({ status: "pending", secret });

    // Pending is not on: the password alone still signs in.
    expect((await verifyWebLogin({ email: users.carol.email, password: "correct horse", ip: ip() })).ok).toBe(true);

    await expect(confirmTotpEnrolment({ userId: id, code: "000000" })).rejects.toSatisfy((e) => isAppError(e, "INVALID"));
    await confirmTotpEnrolment({ userId: id, code: totpCode({ secret }) });
    const codes = await regenerateRecoveryCodes({ userId: id });
    expect(codes).toHaveLength(10);
    for (const c of codes) expect(c).toMatch(/^[2-9a-z]{5}-[2-9a-z]{5}$/);
    expect(new Set(codes).size).toBe(10);
    expect(await getTwoFactorState({ userId: id })).toEqual({ status: "on", recoveryCodesLeft: 10 });
    await expect(startTotpEnrolment({ userId: id })).rejects.toSatisfy((e) => isAppError(e, "CONFLICT"));

    // Stored hashed.
    const rows = await getDb().recoveryCode.findMany({ where: { userId: id } });
    expect(rows.every((r) => r.codeHash.startsWith("$argon2id$"))).toBe(true);
  });

  it("can be cancelled before it is confirmed", async () => {
    const { id } = users.erin;
    await startTotpEnrolment({ userId: id });
    await cancelTotpEnrolment({ userId: id });
    expect(await getTwoFactorState({ userId: id })).toEqual({ status: "off" });
  });
});

describe("sign-in with two-factor", () => {
  it("asks for the code after the right password, and takes a code once only", async () => {
    const { id, email } = users.dave;
    const { secret } = await startTotpEnrolment({ userId: id });
    const enrolledAt = new Date(Date.now() - 60_000); // two steps ago, so that now's code is newer
    await confirmTotpEnrolment({ userId: id, code: totpCode({ secret, now: enrolledAt }), now: enrolledAt });

    expect(await verifyWebLogin({ email, password: "correct horse", ip: ip() })).toMatchObject({ ok: false, reason: "two-factor-required" });
    expect(await verifyWebLogin({ email, password: "wrong horse", ip: ip() })).toMatchObject({ ok: false, reason: "invalid" });
    expect(await verifyWebLogin({ email, password: "correct horse", code: "000000", ip: ip() })).toMatchObject({ ok: false, reason: "two-factor-invalid" });
    // A wrong code does not help someone with a wrong password either.
    expect(await verifyWebLogin({ email, password: "wrong horse", code: totpCode({ secret }), ip: ip() })).toMatchObject({ ok: false, reason: "invalid" });

    const code = totpCode({ secret });
    expect(await verifyWebLogin({ email, password: "correct horse", code, ip: ip() })).toMatchObject({ ok: true, userId: id, usedRecoveryCode: false });
    // RFC 6238 §5.2: the same code, replayed, is refused; so is any code of an earlier step.
    expect(await verifyWebLogin({ email, password: "correct horse", code, ip: ip() })).toMatchObject({ ok: false, reason: "two-factor-invalid" });
    expect(await verifyTotpForUser({ userId: id, code: totpCode({ secret, now: new Date(Date.now() - 30_000) }) })).toBe(false);
    // The next step's code (a clock a little ahead) is still fine.
    expect(await verifyTotpForUser({ userId: id, code: totpCode({ secret, now: new Date(Date.now() + 30_000) }) })).toBe(true);
  });

  it("accepts each recovery code once, however it is typed", async () => {
    const { id, email } = users.dave;
    const codes = await regenerateRecoveryCodes({ userId: id });
    const typed = codes[3].toUpperCase().replace("-", " ");
    expect(normalizeRecoveryCode(typed)).toBe(codes[3]);
    expect(await verifyWebLogin({ email, password: "correct horse", code: typed, ip: ip() })).toMatchObject({ ok: true, usedRecoveryCode: true });
    expect(await verifyWebLogin({ email, password: "correct horse", code: codes[3], ip: ip() })).toMatchObject({ ok: false, reason: "two-factor-invalid" });
    expect(await countRecoveryCodes({ userId: id })).toBe(9);

    // Two requests racing with one code: one wins.
    const raced = await Promise.all([spendRecoveryCode({ userId: id, code: codes[5] }), spendRecoveryCode({ userId: id, code: codes[5] })]);
    expect(raced.filter(Boolean)).toHaveLength(1);

    // New codes replace the old ones.
    const fresh = await regenerateRecoveryCodes({ userId: id });
    expect(await spendRecoveryCode({ userId: id, code: codes[0] })).toBe(false);
    expect(await spendRecoveryCode({ userId: id, code: fresh[0] })).toBe(true);
  });

  it("counts wrong codes as failed logins", async () => {
    const { email } = users.dave;
    await getPool().query("DELETE FROM rate_limits");
    const from = "10.3.0.1";
    for (let i = 0; i < 10; i++) {
      expect(await verifyWebLogin({ email, password: "correct horse", code: "000000", ip: from })).toMatchObject({ reason: "two-factor-invalid" });
    }
    expect(await verifyWebLogin({ email, password: "correct horse", code: "000000", ip: from })).toMatchObject({ reason: "rate-limited" });
    await getPool().query("DELETE FROM rate_limits");
  });

  it("can be turned off, which forgets the secret and the recovery codes", async () => {
    const { id, email } = users.dave;
    await disableTotp({ userId: id });
    expect(await getTwoFactorState({ userId: id })).toEqual({ status: "off" });
    expect(await countRecoveryCodes({ userId: id })).toBe(0);
    expect(await verifyWebLogin({ email, password: "correct horse", ip: ip() })).toMatchObject({ ok: true });
  });
});
