"use client";

import { useEffect, useRef, useState } from "react";

// "Send later": a few of Gmail's presets and a date-time of the user's choosing (in the browser's
// time zone), handed to Send as an ISO instant; the server keeps the message until then.

function at(daysFromNow: number, hour: number): Date {
  const d = new Date();
  d.setDate(d.getDate() + daysFromNow);
  d.setHours(hour, 0, 0, 0);
  return d;
}

function nextMonday(hour: number): Date {
  const d = new Date();
  const add = ((8 - d.getDay()) % 7) || 7;
  d.setDate(d.getDate() + add);
  d.setHours(hour, 0, 0, 0);
  return d;
}

function localInputValue(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function ScheduleMenu({ onSchedule, disabled, timeZone }: { onSchedule: (iso: string) => void; disabled?: boolean; timeZone: string }) {
  const [open, setOpen] = useState(false);
  const [custom, setCustom] = useState(() => localInputValue(at(1, 8)));
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);

  const fmt = (d: Date) => d.toLocaleString(undefined, { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", ...(timeZone ? { timeZone } : {}) });
  const presets = [
    { label: "Tomorrow morning", when: at(1, 8) },
    { label: "Tomorrow afternoon", when: at(1, 13) },
    { label: "Monday morning", when: nextMonday(8) },
  ];

  return (
    <div ref={ref} className="relative">
      <button
        type="button"
        aria-label="More send options"
        title="Schedule send"
        aria-haspopup="dialog"
        aria-expanded={open}
        disabled={disabled}
        data-testid="compose-schedule"
        className="h-full rounded-r-full border-l border-white/30 bg-brand-600 px-2 text-white hover:bg-brand-700 disabled:opacity-60"
        onClick={() => setOpen((v) => !v)}
      >
        ▾
      </button>
      {open ? (
        <div role="dialog" aria-label="Schedule send" className="absolute bottom-full left-0 z-30 mb-2 w-72 rounded-lg border border-slate-200 bg-white p-2 text-sm shadow-xl dark:border-slate-700 dark:bg-slate-900">
          <p className="px-2 pb-1 font-medium">Schedule send</p>
          {presets.map((p) => (
            <button
              key={p.label}
              type="button"
              className="flex w-full justify-between rounded px-2 py-1.5 text-left hover:bg-slate-100 dark:hover:bg-slate-800"
              onClick={() => {
                setOpen(false);
                onSchedule(p.when.toISOString());
              }}
            >
              <span>{p.label}</span>
              <span className="text-slate-500">{fmt(p.when)}</span>
            </button>
          ))}
          <form
            className="mt-2 flex flex-col gap-2 border-t border-slate-100 px-2 pt-2 dark:border-slate-800"
            onSubmit={(e) => {
              e.preventDefault();
              const when = new Date(custom);
              if (Number.isNaN(when.getTime()) || when.getTime() < Date.now() + 15_000) {
                setError("Pick a time in the future.");
                return;
              }
              setOpen(false);
              setError(null);
              onSchedule(when.toISOString());
            }}
          >
            <label className="flex flex-col gap-1">
              <span className="text-xs text-slate-500">Pick date & time</span>
              <input
                type="datetime-local"
                step={1}
                value={custom}
                onChange={(e) => setCustom(e.target.value)}
                data-testid="compose-schedule-at"
                className="rounded border border-slate-300 bg-transparent px-2 py-1 dark:border-slate-700"
              />
            </label>
            {error ? <span role="alert" className="text-xs text-red-700 dark:text-red-400">{error}</span> : null}
            <button type="submit" className="self-end rounded-full bg-brand-600 px-4 py-1.5 text-white hover:bg-brand-700" data-testid="compose-schedule-submit">
              Schedule send
            </button>
          </form>
        </div>
      ) : null}
    </div>
  );
}
