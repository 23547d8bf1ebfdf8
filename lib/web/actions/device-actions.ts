"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { isAppError } from "../../errors.ts";
import { revokeOtherSessions, revokeSession } from "../../auth/sessions.ts";
import { actionContext, formString } from "./context.ts";

/** Ends one session of the signed-in user (this one included: then it is a sign-out). */
export async function endSessionAction(form: FormData): Promise<void> {
  const { session } = await actionContext();
  const sessionId = formString(form, "sessionId", 128);
  try {
    await revokeSession({ userId: session.userId, sessionId });
  } catch (err) {
    // Ended meanwhile (another tab, another device): the list below shows the truth.
    if (!isAppError(err, "NOT_FOUND")) throw err;
  }
  if (sessionId === session.sessionId) redirect("/login");
  revalidatePath("/settings/devices");
}

/** Ends every session of the signed-in user except this one. */
export async function endOtherSessionsAction(): Promise<void> {
  const { session } = await actionContext();
  await revokeOtherSessions({ userId: session.userId, keepSessionId: session.sessionId });
  revalidatePath("/settings/devices");
}
