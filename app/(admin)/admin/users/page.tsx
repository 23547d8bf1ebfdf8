import type { Metadata } from "next";
import Link from "next/link";
import { ActionForm } from "@/components/admin/action-form";
import { SelectField } from "@/components/admin/select-field";
import { StatusBadge } from "@/components/admin/status-badge";
import { UsageBar } from "@/components/admin/usage-bar";
import { Section } from "@/components/settings/section";
import { SubmitButton } from "@/components/settings/submit-button";
import { TextField } from "@/components/ui/text-field";
import { formatBytes } from "@/lib/admin/bytes";
import { listUsersAsAdmin } from "@/lib/admin/users";
import {
  createUserAction,
  grantDomainAction,
  removeUserAction,
  resetPasswordAction,
  setQuotaAction,
  setRoleAction,
  setUserDisabledAction,
} from "@/lib/web/admin/actions/user-actions";
import { loadForPage, requireAdminPage } from "@/lib/web/admin/session";

export const metadata: Metadata = { title: "Users" };
export const dynamic = "force-dynamic";

const ROLE_LABEL = { ADMIN: "Platform admin", DOMAIN_ADMIN: "Domain admin", USER: "User" } as const;

export default async function UsersPage({ searchParams }: { searchParams: Promise<{ domain?: string | string[] }> }) {
  const { actor, session, scope } = await requireAdminPage();
  const sp = await searchParams;
  const domain = typeof sp.domain === "string" && sp.domain ? sp.domain : undefined;
  const users = await loadForPage(() => listUsersAsAdmin({ actor, domain }));
  const platform = session.role === "ADMIN";
  const example = domain ?? scope.domains?.[0]?.name ?? "example.com";

  return (
    <>
      <Section title="New user" testId="create-user" description="The user signs in on the web and in mail clients with this address and password.">
        <ActionForm action={createUserAction} className="grid gap-3 sm:grid-cols-2 lg:grid-cols-[2fr_1.5fr_1fr_auto_auto] lg:items-end">
          <TextField label="Email address" name="email" type="email" placeholder={`name@${example}`} required maxLength={254} autoComplete="off" />
          <TextField label="Password" name="password" type="password" required minLength={8} autoComplete="new-password" />
          <TextField label="Quota" name="quota" placeholder="10G" maxLength={16} />
          {platform ? (
            <SelectField label="Role" name="role" defaultValue="USER">
              <option value="USER">User</option>
              <option value="DOMAIN_ADMIN">Domain admin</option>
              <option value="ADMIN">Platform admin</option>
            </SelectField>
          ) : (
            <input type="hidden" name="role" value="USER" />
          )}
          <SubmitButton pendingText="Creating…" className="whitespace-nowrap">
            Create user
          </SubmitButton>
        </ActionForm>
      </Section>

      <Section
        title={domain ? `Users of ${domain}` : "Users"}
        testId="users"
        description={
          domain ? (
            <Link href="/admin/users" className="hover:underline">
              Show users of every domain
            </Link>
          ) : undefined
        }
      >
        {users.length === 0 ? (
          <p className="text-sm text-slate-500">No users.</p>
        ) : (
          <ul className="divide-y divide-slate-200 border-y border-slate-200 dark:divide-slate-800 dark:border-slate-800">
            {users.map((u) => {
              const manageable = platform || u.role === "USER";
              const self = u.id === session.userId;
              const granted = u.adminOf.map((g) => g.domain.name);
              return (
                <li key={u.id} data-testid="user-row" data-email={u.email} className="flex flex-col gap-3 py-3">
                  <div className="flex flex-wrap items-center gap-3">
                    <span className="font-medium">{u.email}</span>
                    <StatusBadge tone={u.role === "USER" ? "slate" : "blue"} testId="user-role">
                      {ROLE_LABEL[u.role]}
                    </StatusBadge>
                    {u.disabled && (
                      <StatusBadge tone="red" testId="user-disabled">
                        Disabled
                      </StatusBadge>
                    )}
                    {granted.length > 0 && <span className="text-xs text-slate-500">also administers {granted.join(", ")}</span>}
                    <span className="ml-auto">
                      <UsageBar used={Number(u.usedBytes)} quota={Number(u.quotaBytes)} />
                    </span>
                  </div>
                  {manageable && !self && (
                    <details className="group rounded-lg border border-slate-200 p-3 dark:border-slate-800">
                      <summary className="cursor-pointer text-sm font-medium text-slate-700 dark:text-slate-300">Manage {u.email}</summary>
                      <div className="mt-3 grid gap-4 lg:grid-cols-2">
                        <ActionForm action={resetPasswordAction} testId="reset-password">
                          <input type="hidden" name="email" value={u.email} />
                          <div className="flex-1">
                            <TextField label="New password" name="password" type="password" required minLength={8} autoComplete="new-password" />
                          </div>
                          <SubmitButton variant="secondary">Reset password</SubmitButton>
                        </ActionForm>
                        <ActionForm action={setQuotaAction} testId="set-quota">
                          <input type="hidden" name="email" value={u.email} />
                          <div className="flex-1">
                            <TextField label="Quota" name="quota" defaultValue={formatBytes(u.quotaBytes).replace(" ", "").replace("iB", "")} required maxLength={16} />
                          </div>
                          <SubmitButton variant="secondary">Set quota</SubmitButton>
                        </ActionForm>
                        {platform && (
                          <ActionForm action={setRoleAction} testId="set-role">
                            <input type="hidden" name="email" value={u.email} />
                            <SelectField label="Role" name="role" defaultValue={u.role}>
                              <option value="USER">User</option>
                              <option value="DOMAIN_ADMIN">Domain admin (of {u.email.split("@")[1]})</option>
                              <option value="ADMIN">Platform admin</option>
                            </SelectField>
                            <SubmitButton variant="secondary">Set role</SubmitButton>
                          </ActionForm>
                        )}
                        {platform && u.role === "DOMAIN_ADMIN" && (
                          <ActionForm action={grantDomainAction} testId="grant-domain">
                            <input type="hidden" name="email" value={u.email} />
                            <div className="flex-1">
                              <TextField label="Also administers domain" name="domain" placeholder="other.example" required maxLength={253} />
                            </div>
                            <SubmitButton variant="secondary">Grant</SubmitButton>
                          </ActionForm>
                        )}
                        <div className="flex flex-wrap items-start gap-3">
                          <ActionForm action={setUserDisabledAction} testId="toggle-disabled">
                            <input type="hidden" name="email" value={u.email} />
                            <input type="hidden" name="disabled" value={u.disabled ? "false" : "true"} />
                            <SubmitButton variant="secondary">{u.disabled ? "Enable" : "Disable"}</SubmitButton>
                          </ActionForm>
                          <ActionForm action={removeUserAction} confirm={`Remove ${u.email} and all their mail?`}>
                            <input type="hidden" name="email" value={u.email} />
                            <SubmitButton variant="ghost">Remove</SubmitButton>
                          </ActionForm>
                        </div>
                        {granted.map((g) => (
                          <ActionForm key={g} action={grantDomainAction}>
                            <input type="hidden" name="email" value={u.email} />
                            <input type="hidden" name="domain" value={g} />
                            <input type="hidden" name="revoke" value="true" />
                            <SubmitButton variant="ghost">Stop administering {g}</SubmitButton>
                          </ActionForm>
                        ))}
                      </div>
                    </details>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </Section>
    </>
  );
}
