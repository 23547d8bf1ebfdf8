const TONES = {
  green: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200",
  red: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200",
  amber: "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200",
  slate: "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300",
  blue: "bg-brand-50 text-brand-700 dark:bg-slate-800 dark:text-brand-100",
} as const;

export type BadgeTone = keyof typeof TONES;

export function StatusBadge({ tone, children, testId }: { tone: BadgeTone; children: React.ReactNode; testId?: string }) {
  return (
    <span data-testid={testId} className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ${TONES[tone]}`}>
      {children}
    </span>
  );
}

/** SPF/DKIM/DMARC verdicts. */
export function verdictTone(v: string | null | undefined): BadgeTone {
  if (!v) return "slate";
  if (v === "pass") return "green";
  if (v === "fail" || v === "permerror") return "red";
  if (v === "softfail" || v === "temperror") return "amber";
  return "slate";
}
