import { forbidden, notFound, redirect } from "next/navigation";
import { type AdminActor, type AdminScope, getAdminScope, isAdminRole } from "../../admin/access.ts";
import { isAppError } from "../../errors.ts";
import { requireSession, type CurrentSession } from "../session.ts";

// What every admin page starts with: a session (else /login) held by an admin or a domain admin
// (else 403). The role is the one validateSession re-read from the database for this request.

export const FORBIDDEN_PATH = "/admin/forbidden";

/** Answers the page with 403. */
export function denyAdminPage(): never {
  // forbidden() needs experimental.authInterrupts in next.config.ts (inlined at build time);
  // without it, the request goes to a route that answers 403 itself.
  if (process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS) forbidden();
  redirect(FORBIDDEN_PATH);
}

export function actorOf(session: CurrentSession): AdminActor {
  return { userId: session.userId, role: session.role };
}

export async function requireAdminPage(opts: { platform?: boolean } = {}): Promise<{ session: CurrentSession; actor: AdminActor; scope: AdminScope }> {
  const session = await requireSession();
  if (!isAdminRole(session.role) || (opts.platform && session.role !== "ADMIN")) denyAdminPage();
  const actor = actorOf(session);
  const scope = await getAdminScope(actor);
  return { session, actor, scope };
}

/** Runs a page's lib/admin call: FORBIDDEN becomes the 403 page, NOT_FOUND the 404 page. */
export async function loadForPage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isAppError(err, "FORBIDDEN")) denyAdminPage();
    if (isAppError(err, "NOT_FOUND") || isAppError(err, "INVALID")) notFound();
    throw err;
  }
}

/** A dynamic route segment as text (Next.js may hand it over still percent-encoded). */
export function decodeParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
