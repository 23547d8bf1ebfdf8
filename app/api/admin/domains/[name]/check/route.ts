import { checkDomainDnsAsAdmin } from "@/lib/admin/domains";
import { json, withAdmin } from "@/lib/web/admin/route";
import { decodeParam } from "@/lib/web/admin/session";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Looks up every record the domain should publish (through DNS_SERVERS when set). */
export const GET = withAdmin<{ name: string }>(async (_req, { actor, params }) =>
  json({ results: await checkDomainDnsAsAdmin({ actor, name: decodeParam(params.name) }) }),
);
