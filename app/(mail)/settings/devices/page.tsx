import type { Metadata } from "next";
import { LocalTime } from "@/components/settings/local-time";
import { Section } from "@/components/settings/section";
import { SubmitButton } from "@/components/settings/submit-button";
import { listSessions } from "@/lib/auth/sessions";
import { endOtherSessionsAction, endSessionAction } from "@/lib/web/actions/device-actions";
import { requireSession } from "@/lib/web/session";

export const metadata: Metadata = { title: "Devices" };
export const dynamic = "force-dynamic";

export default async function DevicesPage() {
  const session = await requireSession();
  const sessions = await listSessions({ userId: session.userId, currentSessionId: session.sessionId });
  const others = sessions.filter((s) => !s.current).length;

  return (
    <Section
      title="Devices"
      testId="devices"
      description="Browsers signed in to your account. Signing one out takes effect at its next click. Mail clients use app passwords, listed on their own page."
    >
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {sessions.map((s) => (
          <li key={s.id} data-testid="session-row" data-current={s.current ? "true" : "false"} className="flex items-center justify-between gap-4 py-4">
            <div className="min-w-0">
              <p className="font-medium">
                {s.browser} on {s.os}
                {s.current && (
                  <span className="ml-2 rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100">
                    This device
                  </span>
                )}
              </p>
              <p className="mt-0.5 text-sm text-slate-500">
                {s.ip || "unknown address"} · signed in <LocalTime iso={s.createdAt.toISOString()} /> · last active{" "}
                <LocalTime iso={s.lastSeenAt.toISOString()} />
              </p>
            </div>
            <form action={endSessionAction}>
              <input type="hidden" name="sessionId" value={s.id} />
              <SubmitButton variant="secondary" pendingText="Signing out…">
                {s.current ? "Sign out" : "Sign out device"}
              </SubmitButton>
            </form>
          </li>
        ))}
      </ul>
      {others > 0 && (
        <form action={endOtherSessionsAction} className="mt-4 border-t border-slate-200 pt-4 dark:border-slate-800">
          <SubmitButton variant="secondary" pendingText="Signing out…">
            Sign out all other devices ({others})
          </SubmitButton>
        </form>
      )}
    </Section>
  );
}
