import { authRouteHandler } from "@/lib/web/auth";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = authRouteHandler;
export const POST = authRouteHandler;
