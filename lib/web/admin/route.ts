import type { z } from "zod";
import { type AdminActor, isAdminRole } from "../../admin/access.ts";
import { AppError } from "../../errors.ts";
import { errorResponse, withSession } from "../route.ts";
import type { CurrentSession } from "../session.ts";
import { actorOf } from "./session.ts";

// The wrapper for /api/admin route handlers: withSession (auth, CSRF, errors), then 403 for
// anyone who is not an admin or a domain admin. Finer checks (which domain, platform-only) are
// made by the lib/admin function the handler calls.

type AdminHandler<P> = (req: Request, ctx: { session: CurrentSession; actor: AdminActor; params: P }) => Promise<Response>;

export function withAdmin<P = Record<string, never>>(handler: AdminHandler<P>) {
  return withSession<P>(async (req, ctx) => {
    if (!isAdminRole(ctx.session.role)) return errorResponse("FORBIDDEN", "administrators only");
    return handler(req, { ...ctx, actor: actorOf(ctx.session) });
  });
}

/** The request's JSON body checked against `schema`; INVALID (400) otherwise. */
export async function readJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.output<S>> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new AppError("INVALID", "the body must be JSON");
  }
  const r = schema.safeParse(body);
  if (!r.success) throw new AppError("INVALID", r.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
  return r.data;
}

/** JSON with BigInt values (quotas, usage) as numbers. */
export function json(data: unknown, init?: ResponseInit): Response {
  const body = JSON.stringify(data, (_k, v) => (typeof v === "bigint" ? Number(v) : v));
  return new Response(body, { ...init, headers: { "content-type": "application/json", ...init?.headers } });
}
