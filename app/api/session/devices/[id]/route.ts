import { z } from "zod";
import { revokeSession } from "@/lib/auth/sessions";
import { errorResponse, withSession } from "@/lib/web/route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const paramsSchema = z.object({ id: z.string().regex(/^[0-9a-f]{64}$/) });

/** Ends one session of the signed-in user. */
export const DELETE = withSession<{ id: string }>(async (_req, { session, params }) => {
  const parsed = paramsSchema.safeParse(params);
  if (!parsed.success) return errorResponse("NOT_FOUND", "no such active session");
  await revokeSession({ userId: session.userId, sessionId: parsed.data.id });
  return new Response(null, { status: 204 });
});
