import { formatBytes } from "@/lib/admin/bytes";

/** Mailbox usage against quota. */
export function UsageBar({ used, quota }: { used: number; quota: number }) {
  const pct = quota > 0 ? Math.min(100, (used / quota) * 100) : 0;
  const color = pct >= 95 ? "bg-red-500" : pct >= 80 ? "bg-amber-500" : "bg-brand-500";
  return (
    <div className="flex min-w-40 flex-col gap-1" data-testid="usage">
      <span className="text-xs text-slate-600 dark:text-slate-400">
        {formatBytes(used)} of {formatBytes(quota)} ({pct < 1 && used > 0 ? "<1" : Math.round(pct)}%)
      </span>
      <div className="h-1.5 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800" role="progressbar" aria-valuenow={Math.round(pct)} aria-valuemin={0} aria-valuemax={100} aria-label="Mailbox usage">
        <div className={`h-full ${color}`} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}
