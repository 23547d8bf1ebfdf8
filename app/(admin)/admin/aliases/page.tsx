import type { Metadata } from "next";
import Link from "next/link";
import { ActionForm } from "@/components/admin/action-form";
import { StatusBadge } from "@/components/admin/status-badge";
import { Section } from "@/components/settings/section";
import { SubmitButton } from "@/components/settings/submit-button";
import { TextField } from "@/components/ui/text-field";
import { listAliasesAsAdmin } from "@/lib/admin/aliases";
import { addAliasAction, removeAliasAction } from "@/lib/web/admin/actions/alias-actions";
import { loadForPage, requireAdminPage } from "@/lib/web/admin/session";

export const metadata: Metadata = { title: "Aliases" };
export const dynamic = "force-dynamic";

export default async function AliasesPage({ searchParams }: { searchParams: Promise<{ domain?: string | string[] }> }) {
  const { actor, scope } = await requireAdminPage();
  const sp = await searchParams;
  const domain = typeof sp.domain === "string" && sp.domain ? sp.domain : undefined;
  const aliases = await loadForPage(() => listAliasesAsAdmin({ actor, domain }));
  const example = domain ?? scope.domains?.[0]?.name ?? "example.com";

  return (
    <>
      <Section
        title="New alias"
        testId="create-alias"
        description={
          <>
            An alias delivers to one or more users. Enter <span className="font-mono">@{example}</span> as the address for the domain&apos;s
            catch-all: it receives mail for every address of the domain that has no user or alias.
          </>
        }
      >
        <ActionForm action={addAliasAction} className="grid gap-3 sm:grid-cols-[1fr_2fr_auto] sm:items-end">
          <TextField label="Address" name="address" placeholder={`sales@${example}`} required maxLength={254} autoComplete="off" />
          <TextField label="Delivers to (users, comma separated)" name="to" placeholder={`alice@${example}, bob@${example}`} required maxLength={4000} />
          <SubmitButton pendingText="Adding…">Add alias</SubmitButton>
        </ActionForm>
      </Section>
      <Section
        title={domain ? `Aliases of ${domain}` : "Aliases"}
        testId="aliases"
        description={
          domain ? (
            <Link href="/admin/aliases" className="hover:underline">
              Show aliases of every domain
            </Link>
          ) : undefined
        }
      >
        {aliases.length === 0 ? (
          <p className="text-sm text-slate-500">No aliases.</p>
        ) : (
          <ul className="divide-y divide-slate-200 border-y border-slate-200 dark:divide-slate-800 dark:border-slate-800">
            {aliases.map((a) => (
              <li key={a.id} data-testid="alias-row" data-address={a.address} className="flex flex-wrap items-center justify-between gap-3 py-3">
                <div className="flex flex-wrap items-center gap-2">
                  <span className="font-mono text-sm">{a.address}</span>
                  {a.address.startsWith("@") && <StatusBadge tone="blue">Catch-all</StatusBadge>}
                  <span className="text-sm text-slate-500">→ {a.targets.join(", ")}</span>
                </div>
                <ActionForm action={removeAliasAction} confirm={`Remove ${a.address}?`}>
                  <input type="hidden" name="address" value={a.address} />
                  <SubmitButton variant="ghost">Remove</SubmitButton>
                </ActionForm>
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}
