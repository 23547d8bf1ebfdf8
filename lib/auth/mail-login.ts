import { matchAppPassword, touchAppPassword } from "./app-passwords.ts";
import { findLoginUser, normalizeEmail, verifyNothing } from "./credentials.ts";
import { verifyPassword } from "./password.ts";
import { openLoginGate, type Queryable } from "./rate-limit.ts";

// Login for mail clients (IMAP, POP3, SMTP submission). An app password always works; the account
// password only while the user allows it (users.mail_password_allowed) and has no second factor,
// since a mail client cannot ask for one. Every attempt goes through the shared limiter.

export type MailProtocol = "imap" | "pop3" | "smtp";

export type MailLoginResult =
  | { ok: true; userId: number; email: string; method: "app-password" | "password"; appPasswordId?: number }
  | { ok: false; reason: "invalid" | "disabled" }
  | { ok: false; reason: "rate-limited"; retryAfterSeconds: number; message: string };

export async function verifyMailLogin(input: {
  email: string;
  password: string;
  ip: string;
  protocol: MailProtocol;
  /** For tests: another process's pool, a fake clock for the limiter's waits. */
  limiter?: { db?: Queryable; sleep?: (ms: number) => Promise<void> };
}): Promise<MailLoginResult> {
  const email = normalizeEmail(input.email);
  const gate = await openLoginGate({ ip: input.ip, account: email }, input.limiter);
  if (!gate.allowed) return { ok: false, reason: "rate-limited", retryAfterSeconds: gate.retryAfterSeconds, message: gate.message };

  const user = await findLoginUser(email);
  if (!user) {
    await verifyNothing(input.password);
    await gate.finish("failure");
    return { ok: false, reason: "invalid" };
  }

  const appPasswordId = await matchAppPassword({ userId: user.id, password: input.password });
  const ok =
    appPasswordId !== null ||
    (user.mailPasswordAllowed && !user.totpEnabled && (await verifyPassword(user.passwordHash, input.password)));
  if (!ok) {
    await gate.finish("failure");
    return { ok: false, reason: "invalid" };
  }
  if (user.disabled) {
    await gate.finish("neutral");
    return { ok: false, reason: "disabled" };
  }
  if (appPasswordId !== null) await touchAppPassword({ id: appPasswordId });
  await gate.finish("success");
  return appPasswordId !== null
    ? { ok: true, userId: user.id, email: user.email, method: "app-password", appPasswordId }
    : { ok: true, userId: user.id, email: user.email, method: "password" };
}
