import { handleAutoconfig } from "@/lib/web/admin/client-config";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Thunderbird autoconfig at https://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=… */
export const GET = handleAutoconfig;
