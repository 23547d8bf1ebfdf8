import Link from "next/link";
import { SignOutButton } from "./sign-out-button";

/** The bar above signed-in pages: the app, who is signed in, settings, sign out. */
export function UserHeader({ email, role }: { email: string; role?: "ADMIN" | "DOMAIN_ADMIN" | "USER" }) {
  return (
    <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <div className="mx-auto flex h-14 w-full max-w-5xl items-center justify-between gap-4 px-4">
        <Link href="/mail" className="flex items-center gap-2 font-semibold">
          {/* eslint-disable-next-line @next/next/no-img-element -- a tiny static SVG */}
          <img src="/favicon.svg" alt="" width={24} height={24} />
          Pigeon
        </Link>
        <nav className="flex items-center gap-1 text-sm">
          <span className="mr-2 hidden text-slate-500 sm:inline" data-testid="signed-in-as">
            {email}
          </span>
          {role === "ADMIN" || role === "DOMAIN_ADMIN" ? (
            <Link href="/admin" className="rounded-lg px-3 py-2 text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800">
              Admin
            </Link>
          ) : null}
          <Link href="/settings/devices" className="rounded-lg px-3 py-2 text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800">
            Settings
          </Link>
          <SignOutButton />
        </nav>
      </div>
    </header>
  );
}
