import { listSessions, revokeOtherSessions } from "@/lib/auth/sessions";
import { withSession } from "@/lib/web/route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Every active session (device) of the signed-in user. */
export const GET = withSession(async (_req, { session }) => {
  const sessions = await listSessions({ userId: session.userId, currentSessionId: session.sessionId });
  return Response.json({
    sessions: sessions.map((s) => ({
      id: s.id,
      browser: s.browser,
      os: s.os,
      ip: s.ip,
      createdAt: s.createdAt,
      lastSeenAt: s.lastSeenAt,
      current: s.current,
    })),
  });
});

/** Ends every other session. */
export const DELETE = withSession(async (_req, { session }) => {
  const ended = await revokeOtherSessions({ userId: session.userId, keepSessionId: session.sessionId });
  return Response.json({ ended });
});
