import { handleAutoconfig } from "@/lib/web/admin/client-config";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Thunderbird autoconfig at the mail domain itself (https://DOMAIN/.well-known/autoconfig/…). */
export const GET = handleAutoconfig;
