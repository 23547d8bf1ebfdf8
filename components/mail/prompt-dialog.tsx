"use client";

import { useEffect, useRef, useState } from "react";

export interface PromptRequest {
  title: string;
  /** A question with a text field when `label` is set; a confirmation otherwise. */
  label?: string;
  initial?: string;
  message?: string;
  confirm: string;
  danger?: boolean;
  onSubmit: (value: string) => Promise<string | null>;
}

/** A small modal form (native <dialog>): a text field or a confirmation, with its error shown in place. */
export function PromptDialog({ request, onClose }: { request: PromptRequest; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const back = document.activeElement as HTMLElement | null;
    ref.current?.showModal();
    return () => back?.focus?.();
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby="prompt-title"
      onClose={onClose}
      className="m-auto w-[min(26rem,calc(100vw-2rem))] rounded-2xl border border-slate-200 bg-white p-0 text-slate-900 shadow-2xl backdrop:bg-slate-950/50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
    >
      <form
        className="flex flex-col gap-4 p-5"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          const value = String(new FormData(e.currentTarget).get("value") ?? "");
          const err = await request.onSubmit(value);
          setBusy(false);
          if (err) setError(err);
          else ref.current?.close();
        }}
      >
        <h2 id="prompt-title" className="text-lg font-semibold">
          {request.title}
        </h2>
        {request.message ? <p className="text-sm text-slate-600 dark:text-slate-400">{request.message}</p> : null}
        {request.label ? (
          <label className="flex flex-col gap-1.5 text-sm font-medium">
            {request.label}
            <input
              name="value"
              autoFocus
              required
              maxLength={200}
              defaultValue={request.initial}
              className="h-10 rounded-lg border border-slate-300 bg-white px-3 text-sm font-normal shadow-sm focus:border-brand-500 focus:ring-2 focus:ring-brand-500/30 focus:outline-none dark:border-slate-700 dark:bg-slate-950"
            />
          </label>
        ) : null}
        {error ? (
          <p role="alert" className="text-sm text-red-700 dark:text-red-400">
            {error}
          </p>
        ) : null}
        <div className="flex justify-end gap-2">
          <button type="button" className="h-9 rounded-lg px-4 text-sm hover:bg-slate-100 dark:hover:bg-slate-800" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button
            type="submit"
            autoFocus={!request.label}
            disabled={busy}
            className={`h-9 rounded-lg px-4 text-sm font-medium text-white disabled:opacity-50 ${request.danger ? "bg-red-600 hover:bg-red-700" : "bg-brand-600 hover:bg-brand-700"}`}
          >
            {request.confirm}
          </button>
        </div>
      </form>
    </dialog>
  );
}
