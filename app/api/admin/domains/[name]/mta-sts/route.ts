import { z } from "zod";
import { setMtaStsAsAdmin } from "@/lib/admin/domains";
import { readJson, withAdmin } from "@/lib/web/admin/route";
import { decodeParam } from "@/lib/web/admin/session";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const modeSchema = z.object({ mode: z.enum(["off", "testing", "enforce"]) });

/** Sets the domain's MTA-STS policy mode (platform admins). */
export const PUT = withAdmin<{ name: string }>(async (req, { actor, params }) => {
  const { mode } = await readJson(req, modeSchema);
  await setMtaStsAsAdmin({ actor, domain: decodeParam(params.name), mode: mode === "off" ? null : mode });
  return new Response(null, { status: 204 });
});
