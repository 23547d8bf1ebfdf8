import Link from "next/link";
import { redirect } from "next/navigation";
import { buttonClassName } from "@/components/ui/button";
import { getCurrentSession } from "@/lib/web/session";

export const dynamic = "force-dynamic";

const features = [
  { title: "Receive", text: "An SMTP server for your domains' MX, with SPF, DKIM and DMARC checks." },
  { title: "Store", text: "Every message in Postgres: one copy per message, threads and full-text search." },
  { title: "Read", text: "IMAP and POP3 for any mail client, and webmail in the browser." },
  { title: "Send", text: "Submission on 587/465 and a retrying, DKIM-signing outbound queue." },
];

export default async function HomePage() {
  if (await getCurrentSession()) redirect("/mail");
  return (
    <div className="flex min-h-dvh flex-col">
      <header className="mx-auto flex w-full max-w-5xl items-center justify-between px-6 py-5">
        <span className="flex items-center gap-2 text-lg font-semibold">
          {/* eslint-disable-next-line @next/next/no-img-element -- a tiny static SVG */}
          <img src="/favicon.svg" alt="" width={28} height={28} />
          Pigeon
        </span>
        <Link href="/login" className={buttonClassName({ variant: "secondary" })}>
          Sign in
        </Link>
      </header>

      <main className="mx-auto flex w-full max-w-5xl flex-1 flex-col justify-center px-6 py-16">
        <h1 className="max-w-2xl text-4xl font-bold tracking-tight sm:text-5xl">
          Your own mail service, in one codebase.
        </h1>
        <p className="mt-5 max-w-2xl text-lg text-slate-600 dark:text-slate-400">
          Pigeon receives, stores, serves and sends email for many domains and users: SMTP, IMAP, POP3 and a
          webmail, all over one Postgres database.
        </p>
        <div className="mt-8 flex gap-3">
          <Link href="/login" className={buttonClassName({ size: "lg" })}>
            Sign in to webmail
          </Link>
        </div>

        <ul className="mt-16 grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
          {features.map((f) => (
            <li
              key={f.title}
              className="rounded-xl border border-slate-200 bg-white p-5 dark:border-slate-800 dark:bg-slate-900"
            >
              <h2 className="font-semibold">{f.title}</h2>
              <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">{f.text}</p>
            </li>
          ))}
        </ul>
      </main>

      <footer className="mx-auto w-full max-w-5xl px-6 py-6 text-sm text-slate-500">Self-hosted with Pigeon.</footer>
    </div>
  );
}
