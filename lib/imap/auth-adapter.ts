import { verifyImapToken } from "../auth/imap-token.ts";
import { verifyMailLogin, type MailLoginResult } from "../auth/mail-login.ts";
import { validateSession } from "../auth/sessions.ts";

// The IMAP server's door to lib/auth: passwords and app passwords through the shared failed-login
// limiter, and the web's short-lived session tokens for OAUTHBEARER / XOAUTH2.

export async function checkPassword(input: { email: string; password: string; ip: string }): Promise<MailLoginResult> {
  return verifyMailLogin({ email: input.email, password: input.password, ip: input.ip, protocol: "imap" });
}

export async function checkToken(input: { token: string; email?: string }) {
  return verifyImapToken(input.token, input.email !== undefined ? { email: input.email } : {});
}

/** False once the web session behind a token login was ended (sign-out, revoked, expired). */
export async function isWebSessionActive(sessionId: string): Promise<boolean> {
  return (await validateSession({ sessionId })) !== null;
}
