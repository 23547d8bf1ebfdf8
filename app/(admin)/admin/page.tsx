import { redirect } from "next/navigation";
import { requireAdminPage } from "@/lib/web/admin/session";

export const dynamic = "force-dynamic";

export default async function AdminPage() {
  await requireAdminPage();
  redirect("/admin/domains");
}
