import { redirect } from "next/navigation";
import { cache } from "react";
import { auth } from "./auth.ts";

// The signed-in user of the current request. Every page, route handler and server action that
// needs one calls these: each call re-checks the session row (see auth.ts), once per request.

export interface CurrentSession {
  sessionId: string;
  userId: number;
  email: string;
  role: "ADMIN" | "DOMAIN_ADMIN" | "USER";
}

export const getCurrentSession = cache(async (): Promise<CurrentSession | null> => {
  const session = await auth();
  const userId = Number(session?.user?.id);
  if (!session?.sessionId || !Number.isSafeInteger(userId) || userId <= 0) return null;
  return { sessionId: session.sessionId, userId, email: session.user.email, role: session.user.role };
});

/** The current session, or a redirect to /login (for pages and server actions). */
export async function requireSession(): Promise<CurrentSession> {
  const session = await getCurrentSession();
  if (!session) redirect("/login");
  return session;
}
