"use client";

import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/text-field";

// Placeholder: sign-in is not wired yet. Submitting never sends the password anywhere (no
// action, no GET query string); it only says so.
export function LoginForm() {
  const [notice, setNotice] = useState<string | null>(null);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setNotice("Web sign-in is not available yet. Use an IMAP or POP3 client for now.");
  }

  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-4">
      <TextField label="Email" name="email" type="email" autoComplete="username" required placeholder="you@example.com" />
      <TextField label="Password" name="password" type="password" autoComplete="current-password" required />
      <Button type="submit" className="mt-2 w-full">
        Sign in
      </Button>
      {notice && (
        <p role="status" className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200">
          {notice}
        </p>
      )}
    </form>
  );
}
