"use server";

import { revalidatePath } from "next/cache";
import { changePassword, confirmAccountPassword } from "../../auth/account-password.ts";
import { regenerateRecoveryCodes } from "../../auth/recovery-codes.ts";
import { cancelTotpEnrolment, confirmTotpEnrolment, disableTotp, startTotpEnrolment } from "../../auth/totp.ts";
import { actionContext, actionError, formString } from "./context.ts";

export interface FormState {
  error?: string;
  success?: string;
}

export interface RecoveryCodesState extends FormState {
  recoveryCodes?: string[];
}

export async function changePasswordAction(_prev: FormState, form: FormData): Promise<FormState> {
  const { session, ip } = await actionContext();
  try {
    const newPassword = formString(form, "newPassword");
    if (newPassword !== formString(form, "confirmPassword")) return { error: "The new passwords do not match." };
    const { endedSessions } = await changePassword({
      userId: session.userId,
      currentPassword: formString(form, "currentPassword"),
      newPassword,
      keepSessionId: session.sessionId,
      ip,
    });
    revalidatePath("/settings", "layout");
    const others = endedSessions === 1 ? "1 other session was" : `${endedSessions} other sessions were`;
    return { success: `Password changed. ${others} signed out.` };
  } catch (err) {
    return { error: actionError(err, "change password") };
  }
}

export async function startTwoFactorAction(): Promise<void> {
  const { session } = await actionContext();
  await startTotpEnrolment({ userId: session.userId });
  revalidatePath("/settings/security");
}

export async function cancelTwoFactorAction(): Promise<void> {
  const { session } = await actionContext();
  await cancelTotpEnrolment({ userId: session.userId });
  revalidatePath("/settings/security");
}

/** Confirms the authenticator with a code; returns the first recovery codes, shown once. */
export async function confirmTwoFactorAction(_prev: RecoveryCodesState, form: FormData): Promise<RecoveryCodesState> {
  const { session } = await actionContext();
  try {
    await confirmTotpEnrolment({ userId: session.userId, code: formString(form, "code", 64) });
    const recoveryCodes = await regenerateRecoveryCodes({ userId: session.userId });
    return { success: "Two-factor sign-in is on.", recoveryCodes };
  } catch (err) {
    return { error: actionError(err, "confirm two-factor") };
  }
}

export async function disableTwoFactorAction(_prev: FormState, form: FormData): Promise<FormState> {
  const { session, ip } = await actionContext();
  try {
    await confirmAccountPassword({ userId: session.userId, password: formString(form, "password"), ip });
    await disableTotp({ userId: session.userId });
    revalidatePath("/settings/security");
    return { success: "Two-factor sign-in is off." };
  } catch (err) {
    return { error: actionError(err, "disable two-factor") };
  }
}

export async function regenerateRecoveryCodesAction(_prev: RecoveryCodesState, form: FormData): Promise<RecoveryCodesState> {
  const { session, ip } = await actionContext();
  try {
    await confirmAccountPassword({ userId: session.userId, password: formString(form, "password"), ip });
    const recoveryCodes = await regenerateRecoveryCodes({ userId: session.userId });
    return { success: "New recovery codes. The old ones no longer work.", recoveryCodes };
  } catch (err) {
    return { error: actionError(err, "regenerate recovery codes") };
  }
}
