import type { Metadata } from "next";
import Link from "next/link";
import { ActionForm } from "@/components/admin/action-form";
import { StatusBadge } from "@/components/admin/status-badge";
import { Section } from "@/components/settings/section";
import { SubmitButton } from "@/components/settings/submit-button";
import { TextField } from "@/components/ui/text-field";
import { listDomainsAsAdmin } from "@/lib/admin/domains";
import { addDomainAction } from "@/lib/web/admin/actions/domain-actions";
import { requireAdminPage } from "@/lib/web/admin/session";

export const metadata: Metadata = { title: "Domains" };
export const dynamic = "force-dynamic";

export default async function DomainsPage() {
  const { actor, session } = await requireAdminPage();
  const domains = await listDomainsAsAdmin({ actor });
  const platform = session.role === "ADMIN";
  return (
    <>
      <Section
        title="Domains"
        testId="domains"
        description={platform ? "Every domain Pigeon receives mail for. Open one for the DNS records to publish." : "The domains you administer."}
      >
        {platform && (
          <ActionForm action={addDomainAction} testId="add-domain">
            <div className="min-w-64 flex-1">
              <TextField label="New domain" name="name" placeholder="example.com" required maxLength={253} autoComplete="off" />
            </div>
            <SubmitButton pendingText="Adding…">Add domain</SubmitButton>
          </ActionForm>
        )}
        {domains.length ? (
          <ul className="mt-6 divide-y divide-slate-200 border-t border-slate-200 dark:divide-slate-800 dark:border-slate-800">
            {domains.map((d) => (
              <li key={d.id} data-testid="domain-row" className="flex flex-wrap items-center justify-between gap-3 py-3">
                <Link href={`/admin/domains/${encodeURIComponent(d.name)}`} className="font-medium text-brand-700 hover:underline dark:text-brand-100">
                  {d.name}
                </Link>
                <span className="flex items-center gap-3 text-sm text-slate-500">
                  {d.mtaStsMode && <StatusBadge tone="blue">MTA-STS {d.mtaStsMode}</StatusBadge>}
                  <Link href={`/admin/users?domain=${encodeURIComponent(d.name)}`} className="hover:underline">
                    {d._count.users} user{d._count.users === 1 ? "" : "s"}
                  </Link>
                  <Link href={`/admin/aliases?domain=${encodeURIComponent(d.name)}`} className="hover:underline">
                    {d._count.aliases} alias{d._count.aliases === 1 ? "" : "es"}
                  </Link>
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="mt-6 text-sm text-slate-500">No domains yet.</p>
        )}
      </Section>
    </>
  );
}
