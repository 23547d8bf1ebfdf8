import type { DefaultSession } from "next-auth";

declare module "next-auth" {
  interface User {
    /** The new session's random token (its sha256 is the sessions row id). */
    sessionToken?: string;
  }
  interface Session {
    /** The sessions row id of this sign-in. */
    sessionId: string;
    user: { id: string; email: string; role: "ADMIN" | "DOMAIN_ADMIN" | "USER" } & Omit<DefaultSession["user"], "id" | "email">;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    st?: string;
    sid?: string;
    role?: "ADMIN" | "DOMAIN_ADMIN" | "USER";
  }
}
