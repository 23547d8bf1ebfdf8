import type { Metadata } from "next";
import Link from "next/link";
import { ActionForm } from "@/components/admin/action-form";
import { StatusBadge, type BadgeTone } from "@/components/admin/status-badge";
import { LocalTime } from "@/components/settings/local-time";
import { Section } from "@/components/settings/section";
import { SubmitButton } from "@/components/settings/submit-button";
import { listQueueAsAdmin } from "@/lib/admin/queue";
import { removeQueuedAction, retryQueuedAction } from "@/lib/web/admin/actions/queue-actions";
import { requireAdminPage } from "@/lib/web/admin/session";

export const metadata: Metadata = { title: "Outbound queue" };
export const dynamic = "force-dynamic";

const TONE: Record<string, BadgeTone> = { QUEUED: "blue", DEFERRED: "amber", DELIVERED: "green", BOUNCED: "red" };

export default async function QueuePage({ searchParams }: { searchParams: Promise<{ all?: string }> }) {
  const { actor } = await requireAdminPage({ platform: true });
  const all = (await searchParams).all === "1";
  const messages = await listQueueAsAdmin({ actor, pending: !all, limit: 1000 });

  return (
    <Section
      title="Outbound queue"
      testId="queue"
      description={
        <>
          {all ? "Every message still in the queue tables, delivered and bounced included." : "Messages with recipients waiting to be delivered."}{" "}
          <Link href={all ? "/admin/queue" : "/admin/queue?all=1"} className="text-brand-700 hover:underline dark:text-brand-100">
            {all ? "Show waiting only" : "Show all"}
          </Link>
        </>
      }
    >
      {messages.length === 0 ? (
        <p className="text-sm text-slate-500" data-testid="queue-empty">
          The queue is empty.
        </p>
      ) : (
        <ul className="flex flex-col gap-4">
          {messages.map((m) => (
            <li key={m.id} data-testid="queue-message" data-id={m.id} className="rounded-xl border border-slate-200 p-4 dark:border-slate-800">
              <div className="flex flex-wrap items-start justify-between gap-3">
                <div className="min-w-0">
                  <p className="font-medium break-words">{m.subject || "(no subject)"}</p>
                  <p className="text-sm text-slate-500">
                    #{m.id} from <span className="font-mono">{m.sender || "<>"}</span> · {m.source} · queued <LocalTime iso={m.createdAt.toISOString()} /> · expires{" "}
                    <LocalTime iso={m.expiresAt.toISOString()} />
                  </p>
                </div>
                <div className="flex gap-2">
                  {m.pending && (
                    <ActionForm action={retryQueuedAction}>
                      <input type="hidden" name="id" value={m.id} />
                      <SubmitButton variant="secondary" pendingText="Retrying…">
                        Retry now
                      </SubmitButton>
                    </ActionForm>
                  )}
                  <ActionForm action={removeQueuedAction} confirm={`Remove message #${m.id} from the queue? Its sender is not told.`}>
                    <input type="hidden" name="id" value={m.id} />
                    <SubmitButton variant="ghost">Remove</SubmitButton>
                  </ActionForm>
                </div>
              </div>
              <table className="mt-3 w-full text-left text-sm">
                <thead className="text-xs text-slate-500">
                  <tr>
                    <th className="py-1 pr-3 font-medium">Recipient</th>
                    <th className="py-1 pr-3 font-medium">State</th>
                    <th className="py-1 pr-3 font-medium">Attempts</th>
                    <th className="py-1 font-medium">Last error / reply</th>
                  </tr>
                </thead>
                <tbody>
                  {m.recipients.map((r) => (
                    <tr key={r.recipientId} data-testid="queue-recipient" className="border-t border-slate-100 align-top dark:border-slate-800">
                      <td className="py-1.5 pr-3 font-mono break-all">{r.address}</td>
                      <td className="py-1.5 pr-3">
                        <StatusBadge tone={TONE[r.status] ?? "slate"}>{r.status.toLowerCase()}</StatusBadge>
                        {r.status === "DEFERRED" && (
                          <span className="block text-xs text-slate-500">
                            next <LocalTime iso={r.nextAttemptAt.toISOString()} />
                          </span>
                        )}
                      </td>
                      <td className="py-1.5 pr-3">{r.attempts}</td>
                      <td className="py-1.5 text-xs break-words text-slate-600 dark:text-slate-400">{r.lastError ?? r.remoteReply ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
