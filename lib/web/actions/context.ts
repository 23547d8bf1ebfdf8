import { headers } from "next/headers";
import { AppError, isAppError } from "../../errors.ts";
import { assertSameOrigin, clientIp } from "../request.ts";
import { requireSession, type CurrentSession } from "../session.ts";

// What every settings server action starts with: the CSRF check (Next.js checks Origin against
// Host for server actions too; this one also knows PUBLIC_URL and refuses a missing Origin), the
// session (re-checked in the database), the client's address.

export async function actionContext(): Promise<{ session: CurrentSession; ip: string }> {
  const h = await headers();
  assertSameOrigin(h);
  const session = await requireSession();
  return { session, ip: clientIp(h) };
}

/** A user-facing sentence for an action's failure; unexpected errors are logged, not shown. */
export function actionError(err: unknown, what: string): string {
  if (isAppError(err)) {
    const m = err.message;
    return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");
  }
  console.error(`${what} failed:`, err);
  return "Something went wrong. Try again.";
}

export function formString(form: FormData, name: string, max = 1024): string {
  const v = form.get(name);
  if (typeof v !== "string") return "";
  if (v.length > max) throw new AppError("INVALID", `${name} is too long`);
  return v;
}
