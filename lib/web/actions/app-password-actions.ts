"use server";

import { revalidatePath } from "next/cache";
import { isAppError } from "../../errors.ts";
import { createAppPassword, revokeAppPassword, setMailPasswordAllowed } from "../../auth/app-passwords.ts";
import { actionContext, actionError, formString } from "./context.ts";

export interface CreateAppPasswordState {
  error?: string;
  /** The new password, in this response only: it is never shown again. */
  created?: { name: string; password: string };
}

export async function createAppPasswordAction(_prev: CreateAppPasswordState, form: FormData): Promise<CreateAppPasswordState> {
  const { session } = await actionContext();
  try {
    const created = await createAppPassword({ userId: session.userId, name: formString(form, "name", 200) });
    revalidatePath("/settings/app-passwords");
    return { created: { name: created.name, password: created.password } };
  } catch (err) {
    return { error: actionError(err, "create app password") };
  }
}

export async function revokeAppPasswordAction(form: FormData): Promise<void> {
  const { session } = await actionContext();
  const id = Number(formString(form, "id", 20));
  if (Number.isSafeInteger(id) && id > 0) {
    try {
      await revokeAppPassword({ userId: session.userId, id });
    } catch (err) {
      if (!isAppError(err, "NOT_FOUND")) throw err;
    }
  }
  revalidatePath("/settings/app-passwords");
}

export async function setMailPasswordAllowedAction(form: FormData): Promise<void> {
  const { session } = await actionContext();
  await setMailPasswordAllowed({ userId: session.userId, allowed: formString(form, "allowed", 8) === "true" });
  revalidatePath("/settings/app-passwords");
}
