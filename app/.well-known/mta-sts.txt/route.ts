import { handleMtaStsPolicy } from "@/lib/web/admin/client-config";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The MTA-STS policy of the domain named by the host (mta-sts.DOMAIN). */
export const GET = handleMtaStsPolicy;
