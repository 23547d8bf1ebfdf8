import { z } from "zod";
import { retryQueuedAsAdmin } from "@/lib/admin/queue";
import { errorResponse } from "@/lib/web/route";
import { json, withAdmin } from "@/lib/web/admin/route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const idSchema = z.coerce.number().int().positive();

/** Makes a message's waiting recipients (or one recipient, by its id) due now (platform admins). */
export const POST = withAdmin<{ id: string }>(async (_req, { actor, params }) => {
  const id = idSchema.safeParse(params.id);
  if (!id.success) return errorResponse("NOT_FOUND", "no such queued message");
  return json({ retrying: await retryQueuedAsAdmin({ actor, id: id.data }) });
});
