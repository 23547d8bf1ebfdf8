"use client";

import { useActionState } from "react";
import type { DnsRecord } from "@/lib/accounts/dns-records";
import type { DnsCheckResult } from "@/lib/admin/dns-check";
import { checkDnsAction, type DnsCheckState } from "@/lib/web/admin/actions/domain-actions";
import { FormMessage } from "@/components/settings/form-message";
import { SubmitButton } from "@/components/settings/submit-button";
import { CopyButton } from "./copy-button";
import { StatusBadge, type BadgeTone } from "./status-badge";

const STATUS: Record<DnsCheckResult["status"], { tone: BadgeTone; label: string }> = {
  ok: { tone: "green", label: "OK" },
  missing: { tone: "amber", label: "Missing" },
  wrong: { tone: "red", label: "Wrong" },
  error: { tone: "slate", label: "Lookup failed" },
};

const key = (r: { name: string; type: string; expected?: string; value?: string }) => `${r.type} ${r.name} ${r.expected ?? r.value}`;

/** The records to publish, each ready to copy, and the outcome of "Check DNS" beside each. */
export function DnsRecords({ domain, records, zone }: { domain: string; records: DnsRecord[]; zone: string }) {
  const [state, action] = useActionState<DnsCheckState, FormData>(checkDnsAction, {});
  const results = new Map((state.results ?? []).map((r) => [key(r), r]));
  const okCount = state.results?.filter((r) => r.status === "ok").length ?? 0;
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-3">
        <form action={action}>
          <input type="hidden" name="name" value={domain} />
          <SubmitButton pendingText="Checking…">Check DNS</SubmitButton>
        </form>
        <CopyButton text={zone} label="Copy all (zone file)" />
        {state.results && (
          <span className="text-sm text-slate-600 dark:text-slate-400" data-testid="dns-check-summary" data-checked-at={state.checkedAt}>
            {okCount} of {state.results.length} records OK
          </span>
        )}
      </div>
      <FormMessage error={state.error} />
      <ul className="divide-y divide-slate-200 border-y border-slate-200 dark:divide-slate-800 dark:border-slate-800">
        {records.map((r) => {
          const result = results.get(key(r));
          return (
            <li
              key={key(r)}
              data-testid="dns-record"
              data-record-name={r.name}
              data-record-type={r.type}
              data-record-kind={r.kind}
              data-status={result?.status ?? ""}
              className="flex flex-col gap-2 py-3"
              data-copy-scope
            >
              <div className="flex flex-wrap items-center gap-2">
                <span className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs font-semibold dark:bg-slate-800">{r.type}</span>
                <span className="font-mono text-sm break-all">{r.name}</span>
                <CopyButton text={r.name} label="Copy name" />
                <span className="text-xs text-slate-500">
                  {r.purpose}
                  {r.optional ? " (optional)" : ""}
                </span>
                {result && (
                  <span className="ml-auto">
                    <StatusBadge tone={STATUS[result.status].tone} testId="dns-status">
                      {STATUS[result.status].label}
                    </StatusBadge>
                  </span>
                )}
              </div>
              <div className="flex items-start gap-2">
                <code data-copy-text className="min-w-0 flex-1 rounded-lg bg-slate-50 px-2 py-1.5 font-mono text-xs break-all select-all dark:bg-slate-950">
                  {r.value}
                </code>
                <CopyButton text={r.value} />
              </div>
              {result && result.status !== "ok" && (
                <p className="text-xs text-slate-600 dark:text-slate-400" data-testid="dns-found">
                  {result.detail ? `${result.detail}. ` : ""}
                  {result.found.length ? (
                    <>
                      Found: <span className="font-mono break-all">{result.found.join(" | ")}</span>
                    </>
                  ) : result.status === "missing" ? (
                    "Nothing published at this name."
                  ) : null}
                </p>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
