import NextAuth, { CredentialsSignin, type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import type { NextRequest } from "next/server";
import { getConfig } from "../config.ts";
import { createSession, hashSessionToken, revokeSessionByToken, SESSION_MAX_AGE_SECONDS, validateSession } from "../auth/sessions.ts";
import { getAuthSecret } from "../auth/secret.ts";
import { verifyWebLogin, type WebLoginFailure } from "../auth/web-login.ts";
import { clientIp } from "./request.ts";

// Auth.js (next-auth v5) with one Credentials provider. Auth.js keeps the session in its encrypted
// JWT cookie; Pigeon adds a row in `sessions` per sign-in, puts that row's token in the JWT, and
// re-reads the row on every auth() call (the jwt callback), so a session ended on the Devices page
// or by a password change is refused at its next request.

/** A failed sign-in; `code` (one of WebLoginFailure) reaches the form and the ?code= of redirects. */
export class SignInFailed extends CredentialsSignin {
  constructor(
    readonly reason: WebLoginFailure,
    readonly detail: string,
  ) {
    super(detail);
    this.code = reason;
  }
}

function str(v: unknown, max: number): string {
  return typeof v === "string" ? v.slice(0, max) : "";
}

function buildConfig(): NextAuthConfig {
  const secure = getConfig().publicUrl.startsWith("https://");
  return {
    secret: getAuthSecret(),
    // The app answers on PUBLIC_URL and on 127.0.0.1 (DESIGN.md): take the host from the request.
    trustHost: true,
    basePath: "/api/auth",
    // Cookies: HttpOnly, SameSite=Lax, Path=/ (Auth.js defaults); Secure (and __Secure-/__Host-
    // names) when the public address is https.
    useSecureCookies: secure,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: "/login", error: "/login" },
    providers: [
      Credentials({
        id: "credentials",
        name: "Email and password",
        credentials: { email: {}, password: {}, code: {} },
        async authorize(credentials, request) {
          const ip = clientIp(request.headers);
          const result = await verifyWebLogin({
            email: str(credentials.email, 320),
            password: str(credentials.password, 1024),
            code: str(credentials.code, 64),
            ip,
          });
          if (!result.ok) throw new SignInFailed(result.reason, result.message);
          // Always a new row and token: nothing the browser brought before signing in survives it.
          const session = await createSession({ userId: result.userId, userAgent: request.headers.get("user-agent"), ip });
          return { id: String(result.userId), email: result.email, sessionToken: session.token };
        },
      }),
    ],
    callbacks: {
      async jwt({ token, user }) {
        if (user) {
          // Sign-in: a token holding only what Pigeon needs.
          return { sub: user.id, email: user.email, st: user.sessionToken };
        }
        if (typeof token.st !== "string") return null;
        const active = await validateSession({ sessionId: hashSessionToken(token.st) });
        if (!active) return null;
        return { ...token, sub: String(active.userId), email: active.email, sid: active.sessionId, role: active.role };
      },
      async session({ session, token }) {
        return {
          expires: session.expires,
          user: { id: token.sub ?? "", email: token.email ?? "", role: token.role ?? "USER" },
          sessionId: token.sid ?? (typeof token.st === "string" ? hashSessionToken(token.st) : ""),
        } as typeof session;
      },
    },
    events: {
      async signOut(message) {
        const token = "token" in message ? message.token : null;
        if (token && typeof token.st === "string") await revokeSessionByToken({ token: token.st });
      },
    },
    logger: {
      error(error) {
        const type = (error as { type?: string }).type;
        // A wrong password is not a server error; a forged or stale cookie, or a form without
        // Auth.js's CSRF token, deserves a line, not a stack trace.
        if (type === "CredentialsSignin") return;
        if (type === "JWTSessionError" || type === "MissingCSRF") {
          console.warn(`[auth] ${type}: ${error.message}`);
          return;
        }
        console.error("[auth]", error);
      },
      warn(code) {
        if (code === "debug-enabled") return;
        console.warn("[auth] warning:", code);
      },
    },
  };
}

// Lazy: nothing (the secret file, the database) is touched while `next build` imports modules.
const nextAuth = NextAuth(() => buildConfig());
export const { auth, signIn, signOut } = nextAuth;

/**
 * Auth.js's GET/POST handler, given the request at the address the browser used. Next.js hands
 * route handlers a URL with 127.0.0.1 rewritten to "localhost"; Auth.js would then build its
 * redirects for another origin (another cookie jar) than the one the user is on.
 */
export async function authRouteHandler(req: NextRequest): Promise<Response> {
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  if (!host) return nextAuth.handlers[req.method === "POST" ? "POST" : "GET"](req);
  const proto = req.headers.get("x-forwarded-proto") === "https" ? "https" : "http";
  const url = new URL(req.nextUrl.pathname + req.nextUrl.search, `${proto}://${host.split(",")[0].trim()}`);
  const body = req.method === "POST" ? await req.text() : undefined;
  // A plain Request keeps the host as sent (a NextRequest would normalise it again).
  const atHost = new Request(url, { method: req.method, headers: req.headers, body }) as unknown as NextRequest;
  return nextAuth.handlers[req.method === "POST" ? "POST" : "GET"](atHost);
}
