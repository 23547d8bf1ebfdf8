"use client";

import { useEffect, useId, useRef, useState } from "react";
import { api } from "../api";
import type { Recipient } from "./types";

// To, Cc and Bcc: addresses as chips, typed or pasted (comma, semicolon, Enter or Tab ends one),
// with suggestions from the people the user writes to and hears from (/api/mail/contacts) as a
// listbox the arrow keys move through (ARIA combobox pattern).

const SIMPLE_ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** "Name <a@b>" or "a@b" typed or pasted, as recipients; what is not an address comes back as `rest`. */
export function parseTyped(text: string): { recipients: Recipient[]; rest: string } {
  const recipients: Recipient[] = [];
  const rest: string[] = [];
  for (const part of text.split(/[,;\n]+/)) {
    const p = part.trim();
    if (!p) continue;
    const m = /^(?:"?([^"<]*?)"?\s*)?<([^<>\s]+)>$/.exec(p);
    if (m && SIMPLE_ADDRESS.test(m[2])) recipients.push({ name: (m[1] ?? "").trim(), address: m[2] });
    else if (SIMPLE_ADDRESS.test(p)) recipients.push({ name: "", address: p });
    else rest.push(p);
  }
  return { recipients, rest: rest.join(", ") };
}

export function RecipientField({
  label,
  value,
  onChange,
  autoFocus,
  testId,
}: {
  label: string;
  value: Recipient[];
  onChange: (next: Recipient[]) => void;
  autoFocus?: boolean;
  testId: string;
}) {
  const [text, setText] = useState("");
  const [suggestions, setSuggestions] = useState<Recipient[]>([]);
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);
  const shown = open && text.trim() ? suggestions : [];
  const inputRef = useRef<HTMLInputElement>(null);
  const listId = useId();
  const request = useRef(0);

  useEffect(() => {
    const q = text.trim();
    if (!open || q.length === 0) return;
    const id = ++request.current;
    const t = setTimeout(async () => {
      try {
        const r = await api<{ contacts: Recipient[] }>(`/api/mail/contacts?q=${encodeURIComponent(q)}`);
        if (id !== request.current) return;
        const have = new Set(value.map((v) => v.address.toLowerCase()));
        setSuggestions(r.contacts.filter((c) => !have.has(c.address.toLowerCase())));
        setActive(0);
      } catch {
        // suggestions are a convenience
      }
    }, 120);
    return () => clearTimeout(t);
  }, [text, open, value]);

  const add = (list: Recipient[]) => {
    const have = new Set(value.map((v) => v.address.toLowerCase()));
    const fresh = list.filter((r) => !have.has(r.address.toLowerCase()));
    if (fresh.length) onChange([...value, ...fresh]);
  };

  const commit = (): boolean => {
    const { recipients, rest } = parseTyped(text);
    add(recipients);
    setText(rest);
    setSuggestions([]);
    return recipients.length > 0;
  };

  const pick = (r: Recipient) => {
    add([r]);
    setText("");
    setSuggestions([]);
    inputRef.current?.focus();
  };

  return (
    <div className="relative flex min-h-9 flex-wrap items-center gap-1 border-b border-slate-100 px-3 py-1 text-sm dark:border-slate-800" onClick={() => inputRef.current?.focus()}>
      <span className="mr-1 text-slate-500">{label}</span>
      {value.map((r) => (
        <span
          key={r.address}
          className="inline-flex max-w-full items-center gap-1 rounded-full bg-slate-100 py-0.5 pr-1 pl-2 text-xs dark:bg-slate-800"
          title={r.address}
          data-testid={`${testId}-chip`}
        >
          <span className="truncate">{r.name || r.address}</span>
          <button
            type="button"
            aria-label={`Remove ${r.name || r.address}`}
            className="rounded-full px-1 text-slate-500 hover:bg-slate-200 dark:hover:bg-slate-700"
            onClick={(e) => {
              e.stopPropagation();
              onChange(value.filter((x) => x.address !== r.address));
            }}
          >
            ×
          </button>
        </span>
      ))}
      <input
        ref={inputRef}
        role="combobox"
        aria-label={label}
        aria-expanded={shown.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={shown.length ? `${listId}-${active}` : undefined}
        data-testid={testId}
        autoFocus={autoFocus}
        value={text}
        className="min-w-32 flex-1 bg-transparent py-1 outline-none"
        onFocus={() => setOpen(true)}
        onBlur={() => {
          // Let a click on a suggestion land first.
          setTimeout(() => {
            setOpen(false);
            commit();
          }, 150);
        }}
        onChange={(e) => {
          const v = e.target.value;
          if (/[,;]\s*$/.test(v)) {
            const { recipients, rest } = parseTyped(v);
            add(recipients);
            setText(rest);
          } else setText(v);
        }}
        onPaste={(e) => {
          const pasted = e.clipboardData.getData("text");
          if (!/[,;\n]/.test(pasted)) return;
          e.preventDefault();
          const { recipients, rest } = parseTyped(text + pasted);
          add(recipients);
          setText(rest);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown" && shown.length) {
            e.preventDefault();
            setActive((a) => (a + 1) % shown.length);
          } else if (e.key === "ArrowUp" && shown.length) {
            e.preventDefault();
            setActive((a) => (a - 1 + shown.length) % shown.length);
          } else if ((e.key === "Enter" || e.key === "Tab") && shown.length && text.trim()) {
            e.preventDefault();
            pick(shown[active]);
          } else if (e.key === "Enter" || (e.key === "Tab" && text.trim())) {
            if (text.trim()) {
              e.preventDefault();
              commit();
            }
          } else if (e.key === "Backspace" && text === "" && value.length) {
            onChange(value.slice(0, -1));
          } else if (e.key === "Escape" && shown.length) {
            e.stopPropagation();
            setSuggestions([]);
          }
        }}
      />
      {shown.length > 0 ? (
        <ul
          id={listId}
          role="listbox"
          aria-label={`${label} suggestions`}
          className="absolute top-full left-8 z-20 mt-1 max-h-64 w-80 max-w-[90vw] overflow-y-auto rounded-lg border border-slate-200 bg-white py-1 shadow-lg dark:border-slate-700 dark:bg-slate-900"
        >
          {shown.map((s, i) => (
            <li
              key={s.address}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={`cursor-pointer px-3 py-1.5 ${i === active ? "bg-slate-100 dark:bg-slate-800" : ""}`}
              onMouseDown={(e) => e.preventDefault()}
              onMouseEnter={() => setActive(i)}
              onClick={() => pick(s)}
            >
              <div className="truncate font-medium">{s.name || s.address}</div>
              {s.name ? <div className="truncate text-xs text-slate-500">{s.address}</div> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
