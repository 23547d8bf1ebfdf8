"use client";

import Link from "next/link";
import { useActionState } from "react";
import {
  cancelTwoFactorAction,
  confirmTwoFactorAction,
  disableTwoFactorAction,
  regenerateRecoveryCodesAction,
  type FormState,
  type RecoveryCodesState,
} from "@/lib/web/actions/security-actions";
import { Button, buttonClassName } from "@/components/ui/button";
import { TextField } from "@/components/ui/text-field";
import { FormMessage } from "./form-message";
import { RecoveryCodes } from "./recovery-codes";
import { SubmitButton } from "./submit-button";

/**
 * Enrolment: the QR code (rendered on the server) and the key, then the code from the newly set-up
 * authenticator; on success, only the first recovery codes remain on screen.
 */
export function TwoFactorEnrolment({ qrDataUrl, secret }: { qrDataUrl: string; secret: string }) {
  const [state, action] = useActionState<RecoveryCodesState, FormData>(confirmTwoFactorAction, {});
  if (state.recoveryCodes) {
    return (
      <div className="flex flex-col gap-4">
        <FormMessage success={state.success} />
        <RecoveryCodes codes={state.recoveryCodes} />
        <div>
          <Link href="/settings/security" className={buttonClassName()}>
            Done
          </Link>
        </div>
      </div>
    );
  }
  return (
    <div className="flex flex-col gap-6 sm:flex-row sm:items-start">
      {/* eslint-disable-next-line @next/next/no-img-element -- an inline data URL */}
      <img src={qrDataUrl} alt="QR code for your authenticator app" width={192} height={192} className="shrink-0 rounded-lg bg-white p-2" />
      <div className="flex flex-col gap-4">
        <p className="text-sm text-slate-600 dark:text-slate-400">1. Scan the code with your authenticator app, or enter this key by hand:</p>
        <p data-testid="totp-secret" className="font-mono text-sm tracking-wider break-all select-all">
          {secret.match(/.{1,4}/g)!.join(" ")}
        </p>
        <p className="text-sm text-slate-600 dark:text-slate-400">2. Enter the 6-digit code the app shows.</p>
        <form action={action} className="flex max-w-sm flex-col gap-4">
          <TextField label="Code from the app" name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9 ]{6,7}" required />
          <div className="flex gap-2">
            <SubmitButton pendingText="Checking…">Turn on</SubmitButton>
            <Button variant="ghost" type="submit" formAction={cancelTwoFactorAction} formNoValidate>
              Cancel
            </Button>
          </div>
          <FormMessage error={state.error} />
        </form>
      </div>
    </div>
  );
}

export function RegenerateRecoveryCodesForm() {
  const [state, action] = useActionState<RecoveryCodesState, FormData>(regenerateRecoveryCodesAction, {});
  return (
    <div className="flex flex-col gap-4">
      <form action={action} className="flex max-w-sm flex-col gap-3">
        <TextField label="Your password" name="password" type="password" autoComplete="current-password" required />
        <div>
          <SubmitButton variant="secondary" pendingText="Making new codes…">
            New recovery codes
          </SubmitButton>
        </div>
      </form>
      <FormMessage error={state.error} success={state.success} />
      {state.recoveryCodes && <RecoveryCodes codes={state.recoveryCodes} />}
    </div>
  );
}

export function DisableTwoFactorForm() {
  const [state, action] = useActionState<FormState, FormData>(disableTwoFactorAction, {});
  return (
    <form action={action} className="flex max-w-sm flex-col gap-3">
      <TextField label="Your password" name="password" type="password" autoComplete="current-password" required />
      <div>
        <SubmitButton variant="secondary" pendingText="Turning off…">
          Turn off two-factor sign-in
        </SubmitButton>
      </div>
      <FormMessage error={state.error} success={state.success} />
    </form>
  );
}
