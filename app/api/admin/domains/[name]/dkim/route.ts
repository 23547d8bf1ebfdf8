import { z } from "zod";
import { rotateDkimAsAdmin } from "@/lib/admin/domains";
import { json, readJson, withAdmin } from "@/lib/web/admin/route";
import { decodeParam } from "@/lib/web/admin/session";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const stepSchema = z.discriminatedUnion("step", [
  z.object({ step: z.literal("start") }),
  z.object({ step: z.literal("activate"), selector: z.string().min(1).max(64) }),
  z.object({ step: z.literal("retire"), selector: z.string().min(1).max(64) }),
]);

/** DKIM rotation, one step per call: start (new key, published), activate (it signs), retire (old key). */
export const POST = withAdmin<{ name: string }>(async (req, { actor, params }) => {
  const body = await readJson(req, stepSchema);
  const r = await rotateDkimAsAdmin({ actor, domain: decodeParam(params.name), step: body.step, selector: "selector" in body ? body.selector : undefined });
  return json(r);
});
