"use client";

import { useActionState, type ReactNode } from "react";
import { FormMessage } from "@/components/settings/form-message";
import type { AdminFormState } from "@/lib/web/admin/actions/context";

/** A form posting to an admin server action, with the action's outcome shown under it. */
export function ActionForm({
  action,
  children,
  className = "flex flex-wrap items-end gap-3",
  testId,
  confirm,
}: {
  action: (prev: AdminFormState, form: FormData) => Promise<AdminFormState>;
  children: ReactNode;
  className?: string;
  testId?: string;
  /** Asks before submitting (removals). */
  confirm?: string;
}) {
  const [state, formAction] = useActionState<AdminFormState, FormData>(action, {});
  return (
    <div className="flex flex-col gap-2" data-testid={testId}>
      <form
        action={formAction}
        className={className}
        onSubmit={(e) => {
          if (confirm && !window.confirm(confirm)) e.preventDefault();
        }}
      >
        {children}
      </form>
      <FormMessage error={state.error} success={state.success} />
    </div>
  );
}
