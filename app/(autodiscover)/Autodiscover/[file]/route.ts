import { handleAutodiscover } from "@/lib/web/admin/client-config";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// /Autodiscover/Autodiscover.xml, the casing Microsoft's documents and many clients use; Next.js
// routes are case-sensitive. It sits in a route group so that it never shares a folder with
// app/autodiscover on a case-insensitive file system (macOS).
type Ctx = { params: Promise<{ file: string }> };

export async function POST(req: Request, ctx: Ctx) {
  return handleAutodiscover(req, (await ctx.params).file);
}

export async function GET(req: Request, ctx: Ctx) {
  return handleAutodiscover(req, (await ctx.params).file);
}
