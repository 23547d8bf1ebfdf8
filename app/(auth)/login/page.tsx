import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/auth/login-form";
import { WEB_LOGIN_MESSAGES, type WebLoginFailure } from "@/lib/auth/web-login";
import { getCurrentSession } from "@/lib/web/session";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

// Errors Auth.js reports by redirecting here (?error=…&code=…), for sign-ins posted to its own
// endpoint rather than through the form's server action.
function messageFor(error: string | undefined, code: string | undefined): string | undefined {
  if (!error) return undefined;
  if (error === "CredentialsSignin" && code && code in WEB_LOGIN_MESSAGES) return WEB_LOGIN_MESSAGES[code as WebLoginFailure];
  if (error === "CredentialsSignin") return WEB_LOGIN_MESSAGES.invalid;
  return "Sign-in failed. Try again.";
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  if (await getCurrentSession()) redirect("/mail");
  const params = await searchParams;
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const initialError = messageFor(one(params.error), one(params.code));

  return (
    <main className="flex min-h-dvh items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <Link href="/" className="mb-8 flex items-center justify-center gap-2 text-lg font-semibold">
          {/* eslint-disable-next-line @next/next/no-img-element -- a tiny static SVG */}
          <img src="/favicon.svg" alt="" width={32} height={32} />
          Pigeon
        </Link>
        <div className="rounded-2xl border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-800 dark:bg-slate-900">
          <h1 className="text-xl font-semibold">Sign in</h1>
          <p className="mt-1 mb-6 text-sm text-slate-500 dark:text-slate-400">Use your full email address.</p>
          <LoginForm initialError={initialError} />
        </div>
      </div>
    </main>
  );
}
