import { checkPassword } from "../auth-adapter.ts";
import { no, ok, type CommandResult } from "../command.ts";
import type { ImapSession, ImapUser } from "../session.ts";

// What LOGIN and every AUTHENTICATE mechanism share: TLS first, the shared limiter (inside
// lib/auth), the answers (RFC 5530 codes), and BYE after too many failures on one connection.

export function requireTls(session: ImapSession): CommandResult | null {
  // RFC 9051 §6.2.3 / §11.1: no credentials over a connection without TLS.
  if (!session.io.secure) return no("Log in only after STARTTLS", "PRIVACYREQUIRED");
  return null;
}

export function loggedIn(session: ImapSession, user: ImapUser): CommandResult {
  session.authenticate(user);
  return ok(`${user.email} logged in`, { code: "CAPABILITY", capabilities: session.capabilities() });
}

export function loginFailed(
  session: ImapSession,
  reason: "invalid" | "disabled" | "rate-limited",
  message?: string,
): CommandResult {
  session.authFailures++;
  const result =
    reason === "rate-limited"
      ? no(message ?? "Too many failed logins; try again later", "UNAVAILABLE")
      : reason === "disabled"
        ? no("This account is disabled", "CONTACTADMIN")
        : no("Authentication failed", "AUTHENTICATIONFAILED");
  if (session.authFailures >= session.limits.maxAuthFailures) {
    return { ...result, after: () => session.io.bye("Too many failed logins") };
  }
  return result;
}

export async function passwordLogin(session: ImapSession, email: string, password: string): Promise<CommandResult> {
  const r = await checkPassword({ email, password, ip: session.io.remoteAddress });
  if (r.ok) return loggedIn(session, { id: r.userId, email: r.email });
  return loginFailed(session, r.reason, r.reason === "rate-limited" ? r.message : undefined);
}
