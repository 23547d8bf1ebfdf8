import { UserHeader } from "@/components/auth/user-header";
import { AdminNav } from "@/components/admin/admin-nav";
import { requireAdminPage } from "@/lib/web/admin/session";

// Each page checks the role itself too: this layout is kept across client-side navigations
// between admin pages and does not run again, the page does.
export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  const { session } = await requireAdminPage();
  return (
    <div className="min-h-dvh">
      <UserHeader email={session.email} role={session.role} />
      <div className="mx-auto grid w-full max-w-6xl gap-6 px-4 py-8 md:grid-cols-[12rem_1fr]">
        <aside>
          <h1 className="mb-3 px-3 text-sm font-semibold tracking-wide text-slate-500 uppercase">
            {session.role === "ADMIN" ? "Administration" : "Domain admin"}
          </h1>
          <AdminNav platform={session.role === "ADMIN"} />
        </aside>
        <main className="flex min-w-0 flex-col gap-6">{children}</main>
      </div>
    </div>
  );
}
