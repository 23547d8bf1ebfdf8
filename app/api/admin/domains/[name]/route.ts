import { getDomainDetailAsAdmin, removeDomainAsAdmin } from "@/lib/admin/domains";
import { json, withAdmin } from "@/lib/web/admin/route";
import { decodeParam } from "@/lib/web/admin/session";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The domain's DNS records to publish, DKIM keys and MTA-STS policy. */
export const GET = withAdmin<{ name: string }>(async (_req, { actor, params }) => json(await getDomainDetailAsAdmin({ actor, name: decodeParam(params.name) })));

/** Removes a domain without users (platform admins). */
export const DELETE = withAdmin<{ name: string }>(async (_req, { actor, params }) => {
  await removeDomainAsAdmin({ actor, name: decodeParam(params.name) });
  return new Response(null, { status: 204 });
});
