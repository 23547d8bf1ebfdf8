import { removeAliasAsAdmin } from "@/lib/admin/aliases";
import { withAdmin } from "@/lib/web/admin/route";
import { decodeParam } from "@/lib/web/admin/session";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const DELETE = withAdmin<{ address: string }>(async (_req, { actor, params }) => {
  await removeAliasAsAdmin({ actor, address: decodeParam(params.address) });
  return new Response(null, { status: 204 });
});
