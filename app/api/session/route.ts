import { revokeSession } from "@/lib/auth/sessions";
import { signOut } from "@/lib/web/auth";
import { withSession } from "@/lib/web/route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Who is signed in, and which session this is. */
export const GET = withSession(async (_req, { session }) =>
  Response.json({ user: { id: session.userId, email: session.email, role: session.role }, sessionId: session.sessionId }),
);

/** Signs this session out. */
export const DELETE = withSession(async (_req, { session }) => {
  await revokeSession({ userId: session.userId, sessionId: session.sessionId });
  await signOut({ redirect: false });
  return new Response(null, { status: 204 });
});
