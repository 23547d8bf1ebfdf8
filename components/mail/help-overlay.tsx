"use client";

import { useEffect, useRef } from "react";

const SHORTCUTS: [string, string][] = [
  ["j / k", "Older / newer conversation"],
  ["o or Enter", "Open conversation"],
  ["u", "Back to the list"],
  ["x", "Select conversation"],
  ["e", "Archive"],
  ["#", "Delete"],
  ["!", "Report spam (Not spam in Junk)"],
  ["s", "Star or unstar"],
  ["Shift + i", "Mark as read"],
  ["Shift + u", "Mark as unread"],
  ["c", "Compose"],
  ["r / a / f", "Reply / reply all / forward (open conversation)"],
  ["Ctrl + Enter", "Send (in the compose window)"],
  ["/", "Search"],
  ["g then i", "Go to Inbox"],
  ["g then s", "Go to Starred"],
  ["g then t", "Go to Sent"],
  ["g then d", "Go to Drafts"],
  ["?", "This help"],
  ["Esc", "Close / clear selection"],
];

/** The keyboard shortcuts, in a modal dialog (native <dialog>: focus stays inside, Esc closes). */
export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    const back = document.activeElement as HTMLElement | null;
    d?.showModal();
    return () => back?.focus?.();
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby="help-title"
      onClose={onClose}
      onKeyDown={(e) => {
        if (e.key === "?") {
          e.preventDefault();
          ref.current?.close();
        }
      }}
      onClick={(e) => {
        if (e.target === ref.current) ref.current?.close();
      }}
      className="m-auto w-[min(36rem,calc(100vw-2rem))] rounded-2xl border border-slate-200 bg-white p-0 text-slate-900 shadow-2xl backdrop:bg-slate-950/50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
    >
      <div className="flex items-center justify-between border-b border-slate-200 px-5 py-3 dark:border-slate-700">
        <h2 id="help-title" className="text-lg font-semibold">
          Keyboard shortcuts
        </h2>
        <button type="button" autoFocus className="rounded-lg px-3 py-1.5 text-sm hover:bg-slate-100 dark:hover:bg-slate-800" onClick={() => ref.current?.close()}>
          Close
        </button>
      </div>
      <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 px-5 py-4 text-sm">
        {SHORTCUTS.map(([k, v]) => (
          <div key={k} className="contents">
            <dt>
              <kbd className="rounded border border-slate-300 bg-slate-50 px-1.5 py-0.5 font-mono text-xs dark:border-slate-600 dark:bg-slate-800">{k}</kbd>
            </dt>
            <dd className="text-slate-700 dark:text-slate-300">{v}</dd>
          </div>
        ))}
      </dl>
    </dialog>
  );
}
