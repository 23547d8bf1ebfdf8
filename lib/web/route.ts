import { auth } from "./auth.ts";
import { isAppError, type AppErrorCode } from "../errors.ts";
import { isSameOrigin } from "./request.ts";
import type { CurrentSession } from "./session.ts";

// The one wrapper for JSON route handlers: session check (re-read from the database), CSRF check
// on state-changing methods, AppError → HTTP status, anything else logged and answered 500.

const STATUS: Record<AppErrorCode, number> = {
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  INVALID: 400,
  FORBIDDEN: 403,
  UNAUTHORIZED: 401,
  OVER_QUOTA: 507,
  RATE_LIMITED: 429,
  CONFLICT: 409,
  TEMPORARY: 503,
};

export function errorResponse(code: AppErrorCode, message: string): Response {
  return Response.json({ error: { code, message } }, { status: STATUS[code], headers: { "Cache-Control": "no-store" } });
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

type Handler<P> = (req: Request, ctx: { session: CurrentSession; params: P }) => Promise<Response>;

export function withSession<P = Record<string, never>>(handler: Handler<P>) {
  return async (req: Request, context: { params: Promise<P> }): Promise<Response> => {
    try {
      if (!SAFE_METHODS.has(req.method) && !isSameOrigin(req.headers)) {
        return errorResponse("FORBIDDEN", "cross-site request refused");
      }
      const s = await auth();
      const userId = Number(s?.user?.id);
      if (!s?.sessionId || !Number.isSafeInteger(userId) || userId <= 0) {
        return errorResponse("UNAUTHORIZED", "sign in first");
      }
      const session: CurrentSession = { sessionId: s.sessionId, userId, email: s.user.email, role: s.user.role };
      const res = await handler(req, { session, params: await context.params });
      if (!res.headers.has("Cache-Control")) res.headers.set("Cache-Control", "no-store");
      return res;
    } catch (err) {
      if (isAppError(err)) return errorResponse(err.code, err.message);
      console.error(`${req.method} ${new URL(req.url).pathname} failed:`, err);
      return Response.json({ error: { code: "INTERNAL", message: "something went wrong; try again" } }, { status: 500 });
    }
  };
}
