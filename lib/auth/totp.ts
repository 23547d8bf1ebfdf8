import { Secret, TOTP } from "otpauth";
import { getDb, getPool } from "../db/client.ts";
import { AppError } from "../errors.ts";

// Time-based one-time passwords (RFC 6238): HMAC-SHA1, 6 digits, 30-second steps, the de facto
// profile every authenticator app supports. One step of clock drift either way is accepted.

export const TOTP_ISSUER = "Pigeon";
const PERIOD = 30;
const DIGITS = 6;
const WINDOW = 1;

export function generateTotpSecret(): string {
  // RFC 4226 §4 recommends 160 bits, the length of an HMAC-SHA1 key.
  return new Secret({ size: 20 }).base32;
}

function totpFor(secret: string, label = ""): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm: "SHA1",
    digits: DIGITS,
    period: PERIOD,
    secret: Secret.fromBase32(secret),
  });
}

/** The otpauth:// URI an authenticator app reads from the QR code. */
export function totpUri(input: { secret: string; email: string }): string {
  return totpFor(input.secret, input.email).toString();
}

/** The current code (for tests and tools). */
export function totpCode(input: { secret: string; now?: Date }): string {
  return totpFor(input.secret).generate({ timestamp: (input.now ?? new Date()).getTime() });
}

export function normalizeTotpCode(code: string): string | null {
  const c = code.replace(/\s/g, "");
  return /^\d{6}$/.test(c) ? c : null;
}

/** The time step `code` belongs to (within the drift window), or null. Does not look at replays. */
export function matchTotpStep(input: { secret: string; code: string; now?: Date }): number | null {
  const code = normalizeTotpCode(input.code);
  if (!code) return null;
  const timestamp = (input.now ?? new Date()).getTime();
  const delta = totpFor(input.secret).validate({ token: code, timestamp, window: WINDOW });
  if (delta === null) return null;
  return TOTP.counter({ period: PERIOD, timestamp }) + delta;
}

/**
 * Checks a sign-in code against the user's enabled TOTP secret. A code is accepted once only, and
 * never one older than the last accepted (RFC 6238 §5.2): recorded atomically, so two requests
 * racing with one code cannot both pass.
 */
export async function verifyTotpForUser(input: { userId: number; code: string; now?: Date }): Promise<boolean> {
  const user = await getDb().user.findUnique({
    where: { id: input.userId },
    select: { totpSecret: true, totpEnabled: true },
  });
  if (!user?.totpEnabled || !user.totpSecret) return false;
  const step = matchTotpStep({ secret: user.totpSecret, code: input.code, now: input.now });
  if (step === null) return false;
  const r = await getPool().query(
    `UPDATE users SET totp_last_step = $2
      WHERE id = $1 AND totp_enabled AND (totp_last_step IS NULL OR totp_last_step < $2)`,
    [input.userId, step],
  );
  return r.rowCount === 1;
}

export type TwoFactorState =
  | { status: "off" }
  | { status: "pending"; secret: string; uri: string }
  | { status: "on"; recoveryCodesLeft: number };

export async function getTwoFactorState(input: { userId: number }): Promise<TwoFactorState> {
  const user = await getDb().user.findUnique({
    where: { id: input.userId },
    select: { email: true, totpSecret: true, totpEnabled: true },
  });
  if (!user) throw new AppError("NOT_FOUND", "no such user");
  if (user.totpEnabled) {
    const recoveryCodesLeft = await getDb().recoveryCode.count({ where: { userId: input.userId, usedAt: null } });
    return { status: "on", recoveryCodesLeft };
  }
  if (user.totpSecret) return { status: "pending", secret: user.totpSecret, uri: totpUri({ secret: user.totpSecret, email: user.email }) };
  return { status: "off" };
}

/** Starts (or restarts) enrolment: a new secret, not in force until confirmed with a code. */
export async function startTotpEnrolment(input: { userId: number }): Promise<{ secret: string }> {
  const secret = generateTotpSecret();
  const r = await getDb().user.updateMany({
    where: { id: input.userId, totpEnabled: false },
    data: { totpSecret: secret, totpLastStep: null },
  });
  if (r.count === 0) throw new AppError("CONFLICT", "two-factor sign-in is already on");
  return { secret };
}

export async function cancelTotpEnrolment(input: { userId: number }): Promise<void> {
  await getDb().user.updateMany({ where: { id: input.userId, totpEnabled: false }, data: { totpSecret: null } });
}

/** Turns two-factor on once the user proves their app has the pending secret. */
export async function confirmTotpEnrolment(input: { userId: number; code: string; now?: Date }): Promise<void> {
  const user = await getDb().user.findUnique({
    where: { id: input.userId },
    select: { totpSecret: true, totpEnabled: true },
  });
  if (!user) throw new AppError("NOT_FOUND", "no such user");
  if (user.totpEnabled) throw new AppError("CONFLICT", "two-factor sign-in is already on");
  if (!user.totpSecret) throw new AppError("INVALID", "start the set-up again");
  const step = matchTotpStep({ secret: user.totpSecret, code: input.code, now: input.now });
  if (step === null) throw new AppError("INVALID", "that code does not match; check your device's clock and try the current code");
  const r = await getDb().user.updateMany({
    where: { id: input.userId, totpEnabled: false, totpSecret: user.totpSecret },
    data: { totpEnabled: true, totpLastStep: step },
  });
  if (r.count === 0) throw new AppError("CONFLICT", "the set-up changed meanwhile; start again");
}

/** Turns two-factor off and forgets the secret and the recovery codes. */
export async function disableTotp(input: { userId: number }): Promise<void> {
  await getDb().$transaction([
    getDb().user.update({
      where: { id: input.userId },
      data: { totpEnabled: false, totpSecret: null, totpLastStep: null },
      select: { id: true },
    }),
    getDb().recoveryCode.deleteMany({ where: { userId: input.userId } }),
  ]);
}
