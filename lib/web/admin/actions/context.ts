import { actionContext, actionError } from "../../actions/context.ts";
import type { AdminActor } from "../../../admin/access.ts";
import { actorOf } from "../session.ts";

// What every admin server action starts with: the CSRF check and the session (actionContext),
// as an actor for the lib/admin function that checks the role and the domain.

export interface AdminFormState {
  error?: string;
  success?: string;
}

export async function adminActionContext(): Promise<{ actor: AdminActor; email: string }> {
  const { session } = await actionContext();
  return { actor: actorOf(session), email: session.email };
}

/** Runs an admin action's work, turning failures into a message for the form. */
export async function runAdminAction(what: string, fn: () => Promise<string | void>): Promise<AdminFormState> {
  try {
    const success = await fn();
    return { success: success || "Done." };
  } catch (err) {
    return { error: actionError(err, what) };
  }
}
