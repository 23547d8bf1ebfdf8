import { listDeliveriesAsAdmin } from "@/lib/admin/delivery-log";
import { json, withAdmin } from "@/lib/web/admin/route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Recent inbound deliveries and rejections (platform admins); ?status=accepted|rejected, ?limit=. */
export const GET = withAdmin(async (req, { actor }) => {
  const q = new URL(req.url).searchParams;
  const s = q.get("status");
  const status = s === "rejected" ? "REJECTED" : s === "accepted" ? "ACCEPTED" : undefined;
  const limit = Number(q.get("limit") ?? 200);
  return json({ deliveries: await listDeliveriesAsAdmin({ actor, status, limit: Number.isFinite(limit) ? limit : 200 }) });
});
