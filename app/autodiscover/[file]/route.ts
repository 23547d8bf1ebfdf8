import { handleAutodiscover } from "@/lib/web/admin/client-config";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Outlook autodiscover at /autodiscover/autodiscover.xml (POX) and …/autodiscover.json (v2); the
// file name is matched without case.
type Ctx = { params: Promise<{ file: string }> };

export async function POST(req: Request, ctx: Ctx) {
  return handleAutodiscover(req, (await ctx.params).file);
}

export async function GET(req: Request, ctx: Ctx) {
  return handleAutodiscover(req, (await ctx.params).file);
}
