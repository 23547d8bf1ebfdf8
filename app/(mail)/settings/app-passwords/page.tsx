import type { Metadata } from "next";
import { CreateAppPasswordForm } from "@/components/settings/app-password-form";
import { LocalTime } from "@/components/settings/local-time";
import { Section } from "@/components/settings/section";
import { SubmitButton } from "@/components/settings/submit-button";
import { getConfig } from "@/lib/config";
import { getMailLoginSettings, listAppPasswords } from "@/lib/auth/app-passwords";
import { revokeAppPasswordAction, setMailPasswordAllowedAction } from "@/lib/web/actions/app-password-actions";
import { requireSession } from "@/lib/web/session";

export const metadata: Metadata = { title: "App passwords" };
export const dynamic = "force-dynamic";

export default async function AppPasswordsPage() {
  const session = await requireSession();
  const [passwords, settings] = await Promise.all([
    listAppPasswords({ userId: session.userId }),
    getMailLoginSettings({ userId: session.userId }),
  ]);
  const config = getConfig();

  return (
    <>
      <Section
        title="App passwords"
        testId="app-passwords"
        description="One password per mail client (IMAP, POP3, sending over SMTP). Revoke one and only that client is signed out."
      >
        <CreateAppPasswordForm />
        {passwords.length > 0 ? (
          <ul className="mt-6 divide-y divide-slate-200 border-t border-slate-200 dark:divide-slate-800 dark:border-slate-800">
            {passwords.map((p) => (
              <li key={p.id} data-testid="app-password-row" className="flex items-center justify-between gap-4 py-3">
                <div className="min-w-0">
                  <p className="font-medium">{p.name}</p>
                  <p className="text-sm text-slate-500">
                    created <LocalTime iso={p.createdAt.toISOString()} /> ·{" "}
                    {p.lastUsedAt ? (
                      <>
                        last used <LocalTime iso={p.lastUsedAt.toISOString()} />
                      </>
                    ) : (
                      "never used"
                    )}
                  </p>
                </div>
                <form action={revokeAppPasswordAction}>
                  <input type="hidden" name="id" value={p.id} />
                  <SubmitButton variant="secondary" pendingText="Revoking…">
                    Revoke
                  </SubmitButton>
                </form>
              </li>
            ))}
          </ul>
        ) : (
          <p className="mt-6 text-sm text-slate-500">No app passwords yet.</p>
        )}
      </Section>

      <Section title="Mail client settings" testId="mail-client-settings">
        <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
          <dt className="text-slate-500">User name</dt>
          <dd className="font-mono">{settings.email}</dd>
          <dt className="text-slate-500">Incoming (IMAP)</dt>
          <dd className="font-mono">
            {config.mailHostname}, port {config.imapsPort} (TLS) or {config.imapPort} (STARTTLS)
          </dd>
          <dt className="text-slate-500">Incoming (POP3)</dt>
          <dd className="font-mono">
            {config.mailHostname}, port {config.pop3sPort} (TLS) or {config.pop3Port} (STARTTLS)
          </dd>
          <dt className="text-slate-500">Outgoing (SMTP)</dt>
          <dd className="font-mono">
            {config.mailHostname}, port {config.smtpsPort} (TLS) or {config.submissionPort} (STARTTLS)
          </dd>
        </dl>
        <div className="mt-6 border-t border-slate-200 pt-4 dark:border-slate-800">
          {settings.totpEnabled ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">
              Two-factor sign-in is on, so mail clients can sign in with app passwords only.
            </p>
          ) : (
            <form action={setMailPasswordAllowedAction} className="flex flex-wrap items-center justify-between gap-3">
              <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="mail-password-status">
                {settings.mailPasswordAllowed
                  ? "Mail clients may also sign in with your account password."
                  : "Mail clients must use app passwords; your account password works on the web only."}
              </p>
              <input type="hidden" name="allowed" value={settings.mailPasswordAllowed ? "false" : "true"} />
              <SubmitButton variant="secondary">
                {settings.mailPasswordAllowed ? "Require app passwords" : "Allow the account password"}
              </SubmitButton>
            </form>
          )}
        </div>
      </Section>
    </>
  );
}
