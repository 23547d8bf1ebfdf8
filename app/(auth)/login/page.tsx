import type { Metadata } from "next";
import Link from "next/link";
import { LoginForm } from "@/components/auth/login-form";

export const metadata: Metadata = { title: "Sign in" };

export default function LoginPage() {
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
          <LoginForm />
        </div>
      </div>
    </main>
  );
}
