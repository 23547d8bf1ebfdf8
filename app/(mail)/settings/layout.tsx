import { UserHeader } from "@/components/auth/user-header";
import { SettingsNav } from "@/components/settings/settings-nav";
import { requireSession } from "@/lib/web/session";

// Each page below checks the session itself too: this layout is kept across navigations between
// settings pages and does not run again, the page does.
export default async function SettingsLayout({ children }: { children: React.ReactNode }) {
  const session = await requireSession();
  return (
    <div className="min-h-dvh">
      <UserHeader email={session.email} role={session.role} />
      <div className="mx-auto grid w-full max-w-5xl gap-6 px-4 py-8 md:grid-cols-[12rem_1fr]">
        <aside>
          <h1 className="mb-3 px-3 text-sm font-semibold tracking-wide text-slate-500 uppercase">Settings</h1>
          <SettingsNav />
        </aside>
        <main className="flex min-w-0 flex-col gap-6">{children}</main>
      </div>
    </div>
  );
}
