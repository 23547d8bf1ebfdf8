"use client";

import { useActionState } from "react";
import { changePasswordAction, type FormState } from "@/lib/web/actions/security-actions";
import { TextField } from "@/components/ui/text-field";
import { FormMessage } from "./form-message";
import { SubmitButton } from "./submit-button";

export function ChangePasswordForm() {
  const [state, action] = useActionState<FormState, FormData>(changePasswordAction, {});
  return (
    <form action={action} className="flex max-w-sm flex-col gap-4">
      <TextField label="Current password" name="currentPassword" type="password" autoComplete="current-password" required />
      <TextField label="New password" name="newPassword" type="password" autoComplete="new-password" minLength={8} required />
      <TextField label="Repeat the new password" name="confirmPassword" type="password" autoComplete="new-password" minLength={8} required />
      <div>
        <SubmitButton pendingText="Changing…">Change password</SubmitButton>
      </div>
      <FormMessage error={state.error} success={state.success} />
    </form>
  );
}
