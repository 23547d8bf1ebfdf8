import { findLoginUser, normalizeEmail, verifyNothing } from "./credentials.ts";
import { verifyPassword } from "./password.ts";
import { openLoginGate, type Queryable } from "./rate-limit.ts";
import { normalizeRecoveryCode, spendRecoveryCode } from "./recovery-codes.ts";
import { normalizeTotpCode, verifyTotpForUser } from "./totp.ts";

// Sign-in to the web: the account password (app passwords are for mail clients only), then the
// second factor when the user has one: a code from the authenticator app or a recovery code.

export type WebLoginFailure = "invalid" | "disabled" | "rate-limited" | "two-factor-required" | "two-factor-invalid";

export type WebLoginResult =
  | { ok: true; userId: number; email: string; usedRecoveryCode: boolean }
  | { ok: false; reason: WebLoginFailure; retryAfterSeconds?: number; message: string };

export const WEB_LOGIN_MESSAGES: Record<WebLoginFailure, string> = {
  invalid: "Incorrect email or password.",
  disabled: "This account is disabled. Contact your administrator.",
  "rate-limited": "Too many failed sign-in attempts. Wait a minute and try again.",
  "two-factor-required": "Enter the 6-digit code from your authenticator app, or a recovery code.",
  "two-factor-invalid": "That code is not valid. Try the current code, or a recovery code.",
};

function fail(reason: WebLoginFailure, extra: { retryAfterSeconds?: number; message?: string } = {}): WebLoginResult {
  return { ok: false, reason, message: extra.message ?? WEB_LOGIN_MESSAGES[reason], retryAfterSeconds: extra.retryAfterSeconds };
}

export async function verifyWebLogin(input: {
  email: string;
  password: string;
  /** Second factor: TOTP code or recovery code; empty on the first step. */
  code?: string;
  ip: string;
  limiter?: { db?: Queryable; sleep?: (ms: number) => Promise<void> };
}): Promise<WebLoginResult> {
  const email = normalizeEmail(input.email);
  const gate = await openLoginGate({ ip: input.ip, account: email }, input.limiter);
  if (!gate.allowed) return fail("rate-limited", { retryAfterSeconds: gate.retryAfterSeconds, message: gate.message });

  const user = await findLoginUser(email);
  const passwordOk = user ? await verifyPassword(user.passwordHash, input.password) : await verifyNothing(input.password);
  if (!user || !passwordOk) {
    await gate.finish("failure");
    return fail("invalid");
  }
  if (user.disabled) {
    await gate.finish("neutral");
    return fail("disabled");
  }

  let usedRecoveryCode = false;
  if (user.totpEnabled) {
    const code = input.code?.trim() ?? "";
    if (!code) {
      // The password was right: nothing to count against anyone yet.
      await gate.finish("neutral");
      return fail("two-factor-required");
    }
    let ok = false;
    if (normalizeTotpCode(code)) ok = await verifyTotpForUser({ userId: user.id, code });
    else if (normalizeRecoveryCode(code)) ok = usedRecoveryCode = await spendRecoveryCode({ userId: user.id, code });
    if (!ok) {
      await gate.finish("failure");
      return fail("two-factor-invalid");
    }
  }
  await gate.finish("success");
  return { ok: true, userId: user.id, email: user.email, usedRecoveryCode };
}
