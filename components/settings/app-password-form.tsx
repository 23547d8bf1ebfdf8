"use client";

import { useActionState } from "react";
import { createAppPasswordAction, type CreateAppPasswordState } from "@/lib/web/actions/app-password-actions";
import { TextField } from "@/components/ui/text-field";
import { FormMessage } from "./form-message";
import { SubmitButton } from "./submit-button";

export function CreateAppPasswordForm() {
  const [state, action] = useActionState<CreateAppPasswordState, FormData>(createAppPasswordAction, {});
  return (
    <div className="flex flex-col gap-4">
      <form action={action} className="flex max-w-md flex-col gap-3 sm:flex-row sm:items-end">
        <div className="flex-1">
          <TextField label="Name" name="name" placeholder="Thunderbird on my laptop" maxLength={64} required />
        </div>
        <SubmitButton pendingText="Creating…">Create</SubmitButton>
      </form>
      <FormMessage error={state.error} />
      {state.created && (
        <div className="rounded-xl border border-emerald-300 bg-emerald-50 p-4 dark:border-emerald-800 dark:bg-emerald-950">
          <p className="text-sm text-emerald-900 dark:text-emerald-100">
            App password for <span className="font-medium">{state.created.name}</span>. Enter it in the client now: it is not
            shown again.
          </p>
          <p data-testid="new-app-password" className="mt-2 font-mono text-xl tracking-wider select-all">
            {state.created.password}
          </p>
        </div>
      )}
    </div>
  );
}
