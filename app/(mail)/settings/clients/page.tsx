import type { Metadata } from "next";
import Link from "next/link";
import { Section } from "@/components/settings/section";
import { buttonClassName } from "@/components/ui/button";
import { getClientSettings, type ClientEndpoint } from "@/lib/accounts/client-settings";
import { requireSession } from "@/lib/web/session";

export const metadata: Metadata = { title: "Mail apps" };
export const dynamic = "force-dynamic";

const SECURITY = { tls: "SSL/TLS", starttls: "STARTTLS" } as const;

function Row({ label, endpoint, testId }: { label: string; endpoint: ClientEndpoint; testId: string }) {
  return (
    <tr data-testid={testId} className="border-t border-slate-200 dark:border-slate-800">
      <th scope="row" className="py-2 pr-4 text-left font-medium">
        {label}
      </th>
      <td className="py-2 pr-4 font-mono" data-testid="server">
        {endpoint.hostname}
      </td>
      <td className="py-2 pr-4 font-mono" data-testid="port">
        {endpoint.port}
      </td>
      <td className="py-2" data-testid="security">
        {SECURITY[endpoint.security]}
      </td>
    </tr>
  );
}

export default async function ClientsPage() {
  const session = await requireSession();
  const s = getClientSettings();
  return (
    <>
      <Section
        title="Mail apps"
        testId="client-setup"
        description="Thunderbird, Outlook and Apple Mail find these settings themselves from your email address. For any other app, enter them by hand."
      >
        <dl className="mb-4 grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
          <dt className="text-slate-500">User name</dt>
          <dd className="font-mono" data-testid="client-username">
            {session.email}
          </dd>
          <dt className="text-slate-500">Password</dt>
          <dd>
            your account password, or an{" "}
            <Link href="/settings/app-passwords" className="text-brand-700 hover:underline dark:text-brand-100">
              app password
            </Link>{" "}
            (required once two-factor sign-in is on)
          </dd>
          <dt className="text-slate-500">Authentication</dt>
          <dd>normal password (over TLS)</dd>
        </dl>
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <thead className="text-left text-xs text-slate-500">
              <tr>
                <th className="py-1 pr-4 font-medium">Protocol</th>
                <th className="py-1 pr-4 font-medium">Server</th>
                <th className="py-1 pr-4 font-medium">Port</th>
                <th className="py-1 font-medium">Security</th>
              </tr>
            </thead>
            <tbody>
              <Row label="IMAP (incoming)" endpoint={s.imaps} testId="imaps" />
              <Row label="IMAP (incoming)" endpoint={s.imap} testId="imap" />
              <Row label="POP3 (incoming)" endpoint={s.pop3s} testId="pop3s" />
              <Row label="POP3 (incoming)" endpoint={s.pop3} testId="pop3" />
              <Row label="SMTP (outgoing)" endpoint={s.smtps} testId="smtps" />
              <Row label="SMTP (outgoing)" endpoint={s.submission} testId="submission" />
            </tbody>
          </table>
        </div>
        <p className="mt-3 text-xs text-slate-500">Prefer SSL/TLS where the app offers it; STARTTLS works too. Never choose “none”.</p>
      </Section>
      <Section
        title="iPhone, iPad and Mac"
        testId="apple-profile"
        description="A configuration profile sets up Apple Mail in one step. Open it, then approve it in Settings (iOS) or System Settings → Profiles (macOS); it asks for your password."
      >
        <a href="/api/mobileconfig" className={buttonClassName({ variant: "secondary" })} download>
          Download profile
        </a>
      </Section>
    </>
  );
}
