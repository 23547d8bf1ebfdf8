"use client";

import { useActionState, useState } from "react";
import { loginAction, type LoginState } from "@/lib/web/actions/auth-actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/text-field";

const initialState: LoginState = { step: "password" };

/**
 * Email and password, then (for accounts with two-factor sign-in) a code. The fields are
 * controlled so that the second step can send the first step's values again.
 */
export function LoginForm({ initialError }: { initialError?: string }) {
  const [state, formAction, pending] = useActionState(loginAction, { ...initialState, error: initialError });
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const twoFactor = state.step === "two-factor";

  return (
    <form action={formAction} className="flex flex-col gap-4" noValidate={false}>
      <div className={twoFactor ? "hidden" : "flex flex-col gap-4"}>
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="username"
          required
          placeholder="you@example.com"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </div>
      {twoFactor && (
        <>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Signing in as <span className="font-medium text-slate-900 dark:text-slate-100">{email}</span>
          </p>
          <TextField
            label="Authentication code"
            name="code"
            inputMode="text"
            autoComplete="one-time-code"
            autoFocus
            required
            placeholder="123456 or a recovery code"
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        </>
      )}
      <Button type="submit" className="mt-2 w-full" disabled={pending}>
        {pending ? "Signing in…" : twoFactor ? "Verify" : "Sign in"}
      </Button>
      {state.error && (
        <p role="alert" data-testid="login-error" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
          {state.error}
        </p>
      )}
      {!state.error && state.notice && (
        <p role="status" className="rounded-lg bg-brand-50 px-3 py-2 text-sm text-brand-700 dark:bg-slate-800 dark:text-slate-200">
          {state.notice}
        </p>
      )}
    </form>
  );
}
