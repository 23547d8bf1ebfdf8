"use client";

import { useActionState, useId } from "react";
import { FormMessage } from "@/components/settings/form-message";
import { SubmitButton } from "@/components/settings/submit-button";
import { TextField } from "@/components/ui/text-field";
import { savePreferencesAction, type PreferencesFormState } from "@/lib/web/mail/compose/settings-actions";
import type { MailSettings } from "@/lib/web/mail/compose/settings";

// The webmail's preferences in one form: how the user appears to others (name, signature), how
// mail is shown (reading pane, remote images, time zone), and how they work (shortcuts, Undo).

const fieldClass =
  "rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-500/30 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100";

export function PreferencesForm({ settings, timeZones }: { settings: MailSettings; timeZones: string[] }) {
  const [state, action] = useActionState<PreferencesFormState, FormData>(savePreferencesAction, {});
  const sigId = useId();
  const tzId = useId();
  const undoId = useId();
  const imagesId = useId();
  return (
    // Keyed by the saved values: React resets a form after its action, and a select only takes a
    // new defaultValue when it mounts again.
    <form key={JSON.stringify(settings)} action={action} className="flex flex-col gap-6" data-testid="preferences-form">
      <TextField label="Display name" name="displayName" defaultValue={settings.displayName} maxLength={200} placeholder={settings.email} autoComplete="name" />
      <p className="-mt-4 text-xs text-slate-500">
        Shown as the sender of your messages: <span data-testid="preview-from">{settings.displayName ? `${settings.displayName} <${settings.email}>` : settings.email}</span>
      </p>

      <div className="flex flex-col gap-1.5">
        <label htmlFor={sigId} className="text-sm font-medium text-slate-700 dark:text-slate-300">
          Signature
        </label>
        <textarea id={sigId} name="signature" rows={4} maxLength={10000} defaultValue={settings.signature} className={fieldClass} placeholder="Added below new messages and replies" />
      </div>

      <fieldset className="flex flex-col gap-2">
        <legend className="mb-1 text-sm font-medium text-slate-700 dark:text-slate-300">Reading pane</legend>
        {(
          [
            ["right", "Right of the list"],
            ["bottom", "Below the list"],
            ["off", "No split: a conversation opens over the list"],
          ] as const
        ).map(([value, label]) => (
          <label key={value} className="flex items-center gap-2 text-sm">
            <input type="radio" name="readingPane" value={value} defaultChecked={settings.readingPane === value} />
            {label}
          </label>
        ))}
      </fieldset>

      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="keyboardShortcuts" defaultChecked={settings.keyboardShortcuts} />
        Keyboard shortcuts (press <kbd className="rounded border px-1">?</kbd> in the mail to see them)
      </label>

      <div className="grid gap-4 sm:grid-cols-2">
        <div className="flex flex-col gap-1.5">
          <label htmlFor={imagesId} className="text-sm font-medium text-slate-700 dark:text-slate-300">
            Images from the web in messages
          </label>
          <select id={imagesId} name="remoteImages" defaultValue={settings.remoteImages} className={fieldClass}>
            <option value="ask">Ask before showing (remembered per sender)</option>
            <option value="always">Always show</option>
            <option value="never">Never show</option>
          </select>
        </div>
        <div className="flex flex-col gap-1.5">
          <label htmlFor={undoId} className="text-sm font-medium text-slate-700 dark:text-slate-300">
            Undo send
          </label>
          <select id={undoId} name="undoSeconds" defaultValue={String(settings.undoSeconds)} className={fieldClass}>
            <option value="0">Off</option>
            <option value="5">5 seconds</option>
            <option value="10">10 seconds</option>
            <option value="20">20 seconds</option>
            <option value="30">30 seconds</option>
          </select>
        </div>
        <div className="flex flex-col gap-1.5 sm:col-span-2">
          <label htmlFor={tzId} className="text-sm font-medium text-slate-700 dark:text-slate-300">
            Time zone
          </label>
          <select id={tzId} name="timeZone" defaultValue={settings.timeZone} className={fieldClass}>
            <option value="">Same as this browser</option>
            {timeZones.map((tz) => (
              <option key={tz} value={tz}>
                {tz.replace(/_/g, " ")}
              </option>
            ))}
          </select>
          <p className="text-xs text-slate-500">Used for dates in the mail and for search dates such as before:2026/01/31.</p>
        </div>
      </div>

      <FormMessage error={state.error} success={state.success} />
      <div>
        <SubmitButton pendingText="Saving…">Save preferences</SubmitButton>
      </div>
    </form>
  );
}
