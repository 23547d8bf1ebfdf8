import { z } from "zod";
import { removeQueuedAsAdmin } from "@/lib/admin/queue";
import { errorResponse } from "@/lib/web/route";
import { withAdmin } from "@/lib/web/admin/route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const idSchema = z.coerce.number().int().positive();

/** Drops a message from the queue (platform admins); its sender is not told. */
export const DELETE = withAdmin<{ id: string }>(async (_req, { actor, params }) => {
  const id = idSchema.safeParse(params.id);
  if (!id.success) return errorResponse("NOT_FOUND", "no such queued message");
  await removeQueuedAsAdmin({ actor, id: id.data });
  return new Response(null, { status: 204 });
});

