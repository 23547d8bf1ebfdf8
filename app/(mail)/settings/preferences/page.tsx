import type { Metadata } from "next";
import Link from "next/link";
import { PreferencesForm } from "@/components/settings/preferences-form";
import { Section } from "@/components/settings/section";
import { getMailSettings } from "@/lib/web/mail/compose/settings";
import { requireSession } from "@/lib/web/session";

export const metadata: Metadata = { title: "Preferences" };
export const dynamic = "force-dynamic";

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.("timeZone") ?? ["UTC"];
  } catch {
    return ["UTC"];
  }
}

export default async function PreferencesPage() {
  const session = await requireSession();
  const settings = await getMailSettings({ userId: session.userId });
  return (
    <>
      <Section title="Preferences" description="How you appear to others, and how the webmail looks and works." testId="preferences">
        <PreferencesForm settings={settings} timeZones={timeZones()} />
      </Section>
      <Section title="Devices and app passwords" testId="preferences-more">
        <ul className="flex flex-col gap-2 text-sm">
          <li>
            <Link className="font-medium text-brand-600 hover:underline" href="/settings/devices">
              Devices
            </Link>{" "}
            — where you are signed in, and signing them out.
          </li>
          <li>
            <Link className="font-medium text-brand-600 hover:underline" href="/settings/app-passwords">
              App passwords
            </Link>{" "}
            — for mail clients such as Thunderbird or your phone.
          </li>
        </ul>
      </Section>
    </>
  );
}
