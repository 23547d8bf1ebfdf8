import type { Metadata } from "next";
import Link from "next/link";
import { UserHeader } from "@/components/auth/user-header";
import { requireSession } from "@/lib/web/session";

export const metadata: Metadata = { title: "Inbox" };
export const dynamic = "force-dynamic";

// Placeholder until the webmail lands: proves the sign-in and links to the account settings.
export default async function MailPage() {
  const session = await requireSession();
  return (
    <div className="min-h-dvh">
      <UserHeader email={session.email} />
      <main className="mx-auto w-full max-w-5xl px-4 py-10">
        <h1 className="text-2xl font-semibold">Inbox</h1>
        <p className="mt-2 text-slate-600 dark:text-slate-400">
          Signed in as <span className="font-medium text-slate-900 dark:text-slate-100">{session.email}</span>. The webmail is on
          its way; meanwhile, read your mail with any IMAP or POP3 client.
        </p>
        <ul className="mt-8 grid gap-3 sm:grid-cols-3">
          {[
            { href: "/settings/devices", title: "Devices", text: "Where you are signed in." },
            { href: "/settings/security", title: "Security", text: "Password and two-factor sign-in." },
            { href: "/settings/app-passwords", title: "App passwords", text: "For IMAP, POP3 and SMTP clients." },
          ].map((l) => (
            <li key={l.href}>
              <Link
                href={l.href}
                className="block rounded-xl border border-slate-200 bg-white p-4 hover:border-brand-500 dark:border-slate-800 dark:bg-slate-900"
              >
                <span className="font-medium">{l.title}</span>
                <span className="mt-1 block text-sm text-slate-500">{l.text}</span>
              </Link>
            </li>
          ))}
        </ul>
      </main>
    </div>
  );
}
