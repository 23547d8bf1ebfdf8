"use server";

import { AuthError } from "next-auth";
import { headers } from "next/headers";
import { WEB_LOGIN_MESSAGES } from "../../auth/web-login.ts";
import { signIn, signOut, SignInFailed } from "../auth.ts";
import { isSameOrigin } from "../request.ts";

export interface LoginState {
  step: "password" | "two-factor";
  error?: string;
  notice?: string;
}

function field(form: FormData, name: string, max: number): string {
  const v = form.get(name);
  return typeof v === "string" ? v.slice(0, max) : "";
}

/** The sign-in form: password first, then (when the user has it) the second factor. */
export async function loginAction(prev: LoginState, form: FormData): Promise<LoginState> {
  if (!isSameOrigin(await headers())) return { step: "password", error: "This sign-in form was sent from another site." };
  try {
    // Succeeds by redirecting (a thrown NEXT_REDIRECT, re-thrown below), with a fresh session.
    await signIn("credentials", {
      email: field(form, "email", 320),
      password: field(form, "password", 1024),
      code: prev.step === "two-factor" ? field(form, "code", 64) : "",
      redirectTo: "/mail",
    });
  } catch (err) {
    if (err instanceof SignInFailed) {
      switch (err.reason) {
        case "two-factor-required":
          return { step: "two-factor", notice: WEB_LOGIN_MESSAGES["two-factor-required"] };
        case "two-factor-invalid":
          return { step: "two-factor", error: err.detail };
        case "rate-limited":
          return { step: prev.step, error: err.detail };
        default:
          return { step: "password", error: err.detail };
      }
    }
    if (err instanceof AuthError) {
      console.error("sign-in failed:", err);
      return { step: "password", error: "Sign-in failed. Try again." };
    }
    throw err;
  }
  return prev;
}

/** Ends this session (its row is revoked in the signOut event) and goes to /login. */
export async function signOutAction(): Promise<void> {
  if (!isSameOrigin(await headers())) return;
  await signOut({ redirectTo: "/login" });
}
