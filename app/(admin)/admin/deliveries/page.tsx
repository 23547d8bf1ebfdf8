import type { Metadata } from "next";
import Link from "next/link";
import { StatusBadge, verdictTone } from "@/components/admin/status-badge";
import { LocalTime } from "@/components/settings/local-time";
import { Section } from "@/components/settings/section";
import { formatBytes } from "@/lib/admin/bytes";
import { listDeliveriesAsAdmin } from "@/lib/admin/delivery-log";
import { requireAdminPage } from "@/lib/web/admin/session";

export const metadata: Metadata = { title: "Inbound log" };
export const dynamic = "force-dynamic";

export default async function DeliveriesPage({ searchParams }: { searchParams: Promise<{ status?: string }> }) {
  const { actor } = await requireAdminPage({ platform: true });
  const filter = (await searchParams).status;
  const status = filter === "rejected" ? "REJECTED" : filter === "accepted" ? "ACCEPTED" : undefined;
  const entries = await listDeliveriesAsAdmin({ actor, status, limit: 200 });
  const tab = (value: string | undefined, label: string) => (
    <Link
      href={value ? `/admin/deliveries?status=${value}` : "/admin/deliveries"}
      aria-current={filter === value ? "page" : undefined}
      className={"rounded-lg px-3 py-1.5 text-sm " + (filter === value ? "bg-brand-50 font-medium text-brand-700 dark:bg-slate-800 dark:text-slate-100" : "hover:bg-slate-100 dark:hover:bg-slate-800")}
    >
      {label}
    </Link>
  );

  return (
    <Section title="Recent inbound mail" testId="deliveries" description="What the MX accepted and rejected, newest first, with the sender authentication results.">
      <div className="mb-4 flex gap-1">
        {tab(undefined, "All")}
        {tab("accepted", "Delivered")}
        {tab("rejected", "Rejected")}
      </div>
      {entries.length === 0 ? (
        <p className="text-sm text-slate-500">Nothing logged yet.</p>
      ) : (
        <ul className="divide-y divide-slate-200 border-y border-slate-200 dark:divide-slate-800 dark:border-slate-800">
          {entries.map((e) => (
            <li key={e.id} data-testid="delivery-row" data-status={e.status} className="flex flex-col gap-1 py-3 text-sm">
              <div className="flex flex-wrap items-center gap-2">
                <StatusBadge tone={e.status === "ACCEPTED" ? "green" : "red"}>{e.status === "ACCEPTED" ? "delivered" : `rejected${e.stage ? ` at ${e.stage.toUpperCase()}` : ""}`}</StatusBadge>
                <span className="font-mono break-all">{e.mailFrom || "<>"}</span>
                <span className="text-slate-400">→</span>
                <span className="font-mono break-all">{e.recipients.join(", ") || "—"}</span>
                <span className="ml-auto text-xs text-slate-500">
                  <LocalTime iso={e.createdAt.toISOString()} />
                </span>
              </div>
              <div className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
                <span>
                  from {e.remoteIp || "?"}
                  {e.remoteHost ? ` (${e.remoteHost})` : ""}
                  {e.helo ? `, HELO ${e.helo}` : ""}
                  {e.size != null ? ` · ${formatBytes(e.size)}` : ""}
                </span>
                {(["spf", "dkim", "dmarc"] as const).map((k) => (
                  <StatusBadge key={k} tone={verdictTone(e[k])} testId={`verdict-${k}`}>
                    {k.toUpperCase()} {e[k] ?? "—"}
                  </StatusBadge>
                ))}
              </div>
              {e.reason && <p className="text-xs text-slate-700 dark:text-slate-300" data-testid="delivery-reason">{e.reason}</p>}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
