import { listQueueAsAdmin } from "@/lib/admin/queue";
import { json, withAdmin } from "@/lib/web/admin/route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Outbound messages with per-recipient state (platform admins); ?all=1 includes finished ones. */
export const GET = withAdmin(async (req, { actor }) => {
  const all = new URL(req.url).searchParams.get("all") === "1";
  return json({ messages: await listQueueAsAdmin({ actor, pending: !all }) });
});
