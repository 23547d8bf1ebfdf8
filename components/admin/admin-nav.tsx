"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/admin/domains", label: "Domains", platform: false },
  { href: "/admin/users", label: "Users", platform: false },
  { href: "/admin/aliases", label: "Aliases", platform: false },
  { href: "/admin/queue", label: "Outbound queue", platform: true },
  { href: "/admin/deliveries", label: "Inbound log", platform: true },
];

export function AdminNav({ platform }: { platform: boolean }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Administration" className="flex flex-wrap gap-1 md:flex-col">
      {LINKS.filter((l) => platform || !l.platform).map((l) => {
        const active = pathname === l.href || pathname.startsWith(`${l.href}/`);
        return (
          <Link
            key={l.href}
            href={l.href}
            aria-current={active ? "page" : undefined}
            className={
              "rounded-lg px-3 py-2 text-sm font-medium " +
              (active
                ? "bg-brand-50 text-brand-700 dark:bg-slate-800 dark:text-slate-100"
                : "text-slate-600 hover:bg-slate-100 dark:text-slate-400 dark:hover:bg-slate-800")
            }
          >
            {l.label}
          </Link>
        );
      })}
    </nav>
  );
}
