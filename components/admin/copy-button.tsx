"use client";

import { useState } from "react";

/** Copies `text` to the clipboard (falls back to selecting it where the clipboard is refused). */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="shrink-0 rounded-md border border-slate-300 px-2 py-1 text-xs font-medium text-slate-700 hover:bg-slate-100 dark:border-slate-700 dark:text-slate-300 dark:hover:bg-slate-800"
      onClick={async (e) => {
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          const cell = (e.currentTarget.closest("[data-copy-scope]") ?? e.currentTarget.parentElement)?.querySelector("[data-copy-text]");
          if (cell) window.getSelection()?.selectAllChildren(cell);
          return;
        }
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      }}
    >
      {copied ? "Copied" : label}
    </button>
  );
}
