"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/settings/preferences", label: "Preferences" },
  { href: "/settings/devices", label: "Devices" },
  { href: "/settings/security", label: "Security" },
  { href: "/settings/app-passwords", label: "App passwords" },
  { href: "/settings/clients", label: "Mail clients" },
];

export function SettingsNav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Settings" className="flex gap-1 md:flex-col">
      {LINKS.map((l) => {
        const active = pathname === l.href;
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
