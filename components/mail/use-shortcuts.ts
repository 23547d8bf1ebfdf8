"use client";

import { useEffect, useLayoutEffect, useRef } from "react";

// Gmail's keyboard shortcuts, as keys handed to `onKey`: single keys ("j", "#", "I" for Shift+i,
// "Enter", "Escape") and the two-key "g" sequences ("g i"). Typing in a field, and any key with
// Ctrl, Alt or Meta, is left alone. `onKey` returns true when it used the key.

function typingIn(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  const tag = el.tagName.toLowerCase();
  return tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable;
}

export function useShortcuts({ enabled, onKey }: { enabled: boolean; onKey: (key: string) => boolean }) {
  const handler = useRef(onKey);
  useLayoutEffect(() => {
    handler.current = onKey;
  });
  useEffect(() => {
    if (!enabled) return;
    let pendingG = 0;
    const listener = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
      if (typingIn(e.target)) {
        if (e.key === "Escape") (e.target as HTMLElement).blur();
        return;
      }
      const target = e.target as HTMLElement | null;
      // Enter and Space keep their meaning on buttons and links.
      if ((e.key === "Enter" || e.key === " ") && target && target.closest("button, a, summary, [role=button], iframe")) return;
      let key = e.key;
      if (pendingG && Date.now() - pendingG < 1500 && key.length === 1) {
        pendingG = 0;
        key = `g ${key.toLowerCase()}`;
      } else if (key === "g") {
        pendingG = Date.now();
        e.preventDefault();
        return;
      } else {
        pendingG = 0;
      }
      if (handler.current(key)) e.preventDefault();
    };
    document.addEventListener("keydown", listener);
    return () => document.removeEventListener("keydown", listener);
  }, [enabled]);
}
