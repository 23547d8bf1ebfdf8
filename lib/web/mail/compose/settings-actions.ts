"use server";

import { revalidatePath } from "next/cache";
import { actionContext, actionError } from "../../actions/context.ts";
import { updateMailSettings, type MailSettingsUpdate } from "./settings.ts";

// The Preferences form's server action: CSRF and session checked by actionContext, the fields
// validated by updateMailSettings (zod).

export interface PreferencesFormState {
  error?: string;
  success?: string;
}

function text(form: FormData, name: string): string | undefined {
  const v = form.get(name);
  return typeof v === "string" ? v : undefined;
}

export async function savePreferencesAction(_prev: PreferencesFormState, form: FormData): Promise<PreferencesFormState> {
  const { session } = await actionContext();
  try {
    const update: MailSettingsUpdate = {
      displayName: text(form, "displayName"),
      signature: text(form, "signature")?.replace(/\r\n/g, "\n"),
      readingPane: text(form, "readingPane") as MailSettingsUpdate["readingPane"],
      keyboardShortcuts: form.get("keyboardShortcuts") === "on",
      remoteImages: text(form, "remoteImages") as MailSettingsUpdate["remoteImages"],
      timeZone: text(form, "timeZone"),
      undoSeconds: Number(text(form, "undoSeconds") ?? 5) as MailSettingsUpdate["undoSeconds"],
    };
    await updateMailSettings({ userId: session.userId, update });
    revalidatePath("/settings", "layout");
    revalidatePath("/mail");
    return { success: "Preferences saved." };
  } catch (err) {
    return { error: actionError(err, "save preferences") };
  }
}
