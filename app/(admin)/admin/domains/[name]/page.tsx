import type { Metadata } from "next";
import Link from "next/link";
import { ActionForm } from "@/components/admin/action-form";
import { DnsRecords } from "@/components/admin/dns-records";
import { SelectField } from "@/components/admin/select-field";
import { StatusBadge } from "@/components/admin/status-badge";
import { LocalTime } from "@/components/settings/local-time";
import { Section } from "@/components/settings/section";
import { SubmitButton } from "@/components/settings/submit-button";
import { formatZone } from "@/lib/accounts/dns-records";
import { getDomainDetailAsAdmin } from "@/lib/admin/domains";
import { dkimAction, mtaStsAction, removeDomainAction } from "@/lib/web/admin/actions/domain-actions";
import { decodeParam, loadForPage, requireAdminPage } from "@/lib/web/admin/session";

export const metadata: Metadata = { title: "Domain" };
export const dynamic = "force-dynamic";

const KEY_STATE = {
  signing: { tone: "green", label: "Signing" },
  pending: { tone: "amber", label: "Published, not signing yet" },
  active: { tone: "slate", label: "Previous key, still published" },
  retired: { tone: "slate", label: "Retired" },
} as const;

export default async function DomainPage({ params }: { params: Promise<{ name: string }> }) {
  const { actor, session } = await requireAdminPage();
  const { name } = await params;
  const domain = await loadForPage(() => getDomainDetailAsAdmin({ actor, name: decodeParam(name) }));
  const platform = session.role === "ADMIN";
  const pending = domain.dkimKeys.find((k) => k.state === "pending");

  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <Link href="/admin/domains" className="text-sm text-slate-500 hover:underline">
            ← Domains
          </Link>
          <h2 className="text-2xl font-semibold" data-testid="domain-name">
            {domain.name}
          </h2>
        </div>
        <div className="flex gap-2 text-sm">
          <Link href={`/admin/users?domain=${encodeURIComponent(domain.name)}`} className="rounded-lg px-3 py-2 hover:bg-slate-100 dark:hover:bg-slate-800">
            Users
          </Link>
          <Link href={`/admin/aliases?domain=${encodeURIComponent(domain.name)}`} className="rounded-lg px-3 py-2 hover:bg-slate-100 dark:hover:bg-slate-800">
            Aliases
          </Link>
        </div>
      </div>

      <Section
        title="DNS records"
        testId="dns-records"
        description="Publish these at your DNS provider, then check them. Names end with a dot: they are absolute."
      >
        <DnsRecords domain={domain.name} records={domain.records} zone={formatZone(domain.records)} />
      </Section>

      <Section
        title="DKIM keys"
        testId="dkim-keys"
        description="Mail from this domain is signed with the newest active key. To rotate: add a new key, publish its record, check DNS, activate it, and retire the old key a few days later."
      >
        <ul className="divide-y divide-slate-200 dark:divide-slate-800">
          {domain.dkimKeys.map((k) => (
            <li key={k.selector} data-testid="dkim-key" data-state={k.state} className="flex flex-wrap items-center justify-between gap-3 py-2">
              <div className="flex items-center gap-3">
                <span className="font-mono text-sm">{k.selector}</span>
                <StatusBadge tone={KEY_STATE[k.state].tone}>{KEY_STATE[k.state].label}</StatusBadge>
                <span className="text-xs text-slate-500">
                  created <LocalTime iso={k.createdAt.toISOString()} />
                </span>
              </div>
              {platform && (k.state === "pending" || k.state === "active") && (
                <div className="flex gap-2">
                  {k.state === "pending" && (
                    <ActionForm action={dkimAction}>
                      <input type="hidden" name="domain" value={domain.name} />
                      <input type="hidden" name="selector" value={k.selector} />
                      <input type="hidden" name="step" value="activate" />
                      <SubmitButton variant="secondary">Activate</SubmitButton>
                    </ActionForm>
                  )}
                  <ActionForm action={dkimAction} confirm={`Stop publishing DKIM key ${k.selector}?`}>
                    <input type="hidden" name="domain" value={domain.name} />
                    <input type="hidden" name="selector" value={k.selector} />
                    <input type="hidden" name="step" value="retire" />
                    <SubmitButton variant="ghost">Retire</SubmitButton>
                  </ActionForm>
                </div>
              )}
            </li>
          ))}
        </ul>
        {platform && !pending && (
          <div className="mt-4">
            <ActionForm action={dkimAction}>
              <input type="hidden" name="domain" value={domain.name} />
              <input type="hidden" name="step" value="start" />
              <SubmitButton variant="secondary">Add a new key (rotate)</SubmitButton>
            </ActionForm>
          </div>
        )}
      </Section>

      <Section
        title="MTA-STS"
        testId="mta-sts"
        description={
          <>
            Optional (RFC 8461): tells other servers to deliver to this domain over verified TLS only. Pigeon serves the policy at{" "}
            <span className="font-mono">https://mta-sts.{domain.name}/.well-known/mta-sts.txt</span>; that name needs a valid HTTPS
            certificate at your proxy. Start with testing.
          </>
        }
      >
        {domain.mtaSts && <pre className="mb-4 rounded-lg bg-slate-50 p-3 font-mono text-xs dark:bg-slate-950">{domain.mtaSts.text}</pre>}
        {platform ? (
          <ActionForm action={mtaStsAction}>
            <input type="hidden" name="domain" value={domain.name} />
            <SelectField label="Policy" name="mode" defaultValue={domain.mtaSts?.mode ?? "off"}>
              <option value="off">Off</option>
              <option value="testing">Testing (report only)</option>
              <option value="enforce">Enforce</option>
            </SelectField>
            <SubmitButton variant="secondary">Save policy</SubmitButton>
          </ActionForm>
        ) : (
          <p className="text-sm text-slate-500">{domain.mtaSts ? `Mode: ${domain.mtaSts.mode}` : "No policy."}</p>
        )}
      </Section>

      {platform && (
        <Section title="Remove domain" testId="remove-domain" description="Only a domain without users can be removed; its aliases and DKIM keys go with it.">
          <ActionForm action={removeDomainAction} confirm={`Remove ${domain.name}?`}>
            <input type="hidden" name="name" value={domain.name} />
            <SubmitButton variant="secondary">Remove {domain.name}</SubmitButton>
          </ActionForm>
        </Section>
      )}
    </>
  );
}
