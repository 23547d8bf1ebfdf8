"use client";

import { useEffect, useState } from "react";
import { api } from "../api";
import { ComposeWindow } from "./compose-window";
import { dismissToast, loadComposeContext, openCompose, openReply, takeBack, useComposeStore } from "./store";
import type { ReplyMode, ScheduledView } from "./types";

// Mounted once on the mail page: the docked compose windows in the bottom-right corner, the
// "Message sent · Undo" notice, and the user's scheduled messages (kept on the server, so they
// show and can be cancelled on any device).

export function ComposeDock() {
  const { windows, toast, context, scheduledVersion } = useComposeStore();
  useEffect(() => {
    void loadComposeContext().catch(() => undefined);
  }, []);
  const docked = windows.filter((w) => w.placement === "dock");
  return (
    <>
      <div className="pointer-events-none fixed right-0 bottom-0 z-40 flex max-w-full flex-row-reverse items-end gap-2 px-2 sm:right-4" data-testid="compose-dock">
        {docked.map((w) => (
          <div key={w.key} className="pointer-events-auto">
            <ComposeWindow win={w} context={context} />
          </div>
        ))}
      </div>
      <SentToast key={toast?.id ?? 0} toast={toast} />
      <ScheduledChip version={scheduledVersion} />
    </>
  );
}

function SentToast({ toast }: { toast: ReturnType<typeof useComposeStore>["toast"] }) {
  const [now, setNow] = useState(() => Date.now());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!toast) return;
    const i = setInterval(() => setNow(Date.now()), 500);
    const end = toast.until ? toast.until - Date.now() + 3000 : 12_000;
    const t = setTimeout(() => dismissToast(toast.id), Math.max(2000, end));
    return () => {
      clearInterval(i);
      clearTimeout(t);
    };
  }, [toast]);
  if (!toast) return null;
  const left = toast.until ? Math.ceil((toast.until - now) / 1000) : null;
  const canUndo = toast.undoId !== null && (left === null || left > 0);
  return (
    <div role="status" aria-live="polite" className="fixed bottom-4 left-4 z-50 flex items-center gap-4 rounded-lg bg-slate-900 px-4 py-3 text-sm text-white shadow-xl dark:bg-slate-100 dark:text-slate-900" data-testid="send-toast">
      <span>{error ?? (left !== null && left <= 0 && toast.undoId !== null ? "Message sent." : toast.text)}</span>
      {canUndo ? (
        <button
          type="button"
          disabled={busy}
          className="font-semibold text-sky-300 hover:underline dark:text-sky-700"
          data-testid="send-undo"
          onClick={async () => {
            setBusy(true);
            try {
              await takeBack(toast.undoId!);
              dismissToast(toast.id);
            } catch (err) {
              setError(err instanceof Error ? err.message : "Too late to undo.");
            } finally {
              setBusy(false);
            }
          }}
        >
          Undo{left !== null && left > 0 ? ` (${left})` : ""}
        </button>
      ) : null}
      <button type="button" aria-label="Dismiss" className="text-white/70 hover:text-white dark:text-slate-600" onClick={() => dismissToast(toast.id)}>
        ×
      </button>
    </div>
  );
}

function ScheduledChip({ version }: { version: number }) {
  const [items, setItems] = useState<ScheduledView[]>([]);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stop = false;
    const load = async () => {
      try {
        const r = await api<{ scheduled: ScheduledView[] }>("/api/mail/scheduled");
        if (!stop) setItems(r.scheduled.filter((s) => !s.undo));
      } catch {
        // shown again on the next load
      }
    };
    void load();
    const i = setInterval(load, 60_000);
    return () => {
      stop = true;
      clearInterval(i);
    };
  }, [version]);
  if (items.length === 0) return null;
  return (
    <div className="fixed bottom-4 left-1/2 z-30 -translate-x-1/2">
      <button
        type="button"
        className="rounded-full border border-slate-300 bg-white px-3 py-1.5 text-xs font-medium shadow dark:border-slate-700 dark:bg-slate-900"
        aria-expanded={open}
        data-testid="scheduled-chip"
        onClick={() => setOpen((v) => !v)}
      >
        Scheduled ({items.length})
      </button>
      {open ? (
        <div role="dialog" aria-label="Scheduled messages" className="absolute bottom-full left-1/2 mb-2 w-96 max-w-[95vw] -translate-x-1/2 rounded-lg border border-slate-200 bg-white p-2 text-sm shadow-xl dark:border-slate-700 dark:bg-slate-900">
          <ScheduledList items={items} onError={setError} />
          {error ? <p role="alert" className="px-2 py-1 text-xs text-red-700">{error}</p> : null}
        </div>
      ) : null}
    </div>
  );
}

/** The scheduled messages with Cancel (back to a draft) buttons; usable as a page of its own too. */
export function ScheduledList({ items, onError }: { items: ScheduledView[]; onError?: (message: string) => void }) {
  return (
    <ul className="divide-y divide-slate-100 dark:divide-slate-800" data-testid="scheduled-list">
      {items.map((s) => (
        <li key={s.id} className="flex items-center gap-2 px-2 py-2">
          <div className="min-w-0 flex-1">
            <p className="truncate font-medium">{s.subject || "(no subject)"}</p>
            <p className="truncate text-xs text-slate-500">
              To {s.to.join(", ")} · {new Date(s.sendAt).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}
            </p>
          </div>
          <button
            type="button"
            className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
            onClick={() => takeBack(s.id).catch((err) => onError?.(err instanceof Error ? err.message : "Could not cancel."))}
          >
            Cancel send
          </button>
        </li>
      ))}
    </ul>
  );
}

/** Gmail's Compose button (for the folder rail). */
export function ComposeButton({ className = "" }: { className?: string }) {
  return (
    <button
      type="button"
      data-testid="compose-button"
      aria-keyshortcuts="c"
      className={`inline-flex items-center gap-2 rounded-2xl bg-brand-100 px-5 py-3 text-sm font-medium text-brand-700 shadow-sm hover:shadow dark:bg-brand-700 dark:text-white ${className}`}
      onClick={() => void openCompose()}
    >
      <svg viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
        <path d="M4 20h4L19 9l-4-4L4 16z" />
      </svg>
      Compose
    </button>
  );
}

/** Reply, Reply all and Forward for one message of the open conversation (inline below it). */
export function ReplyButtons({ mailbox, uid, canReplyAll = true }: { mailbox: string; uid: number; canReplyAll?: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const go = (mode: ReplyMode) => openReply({ mailbox, uid, mode, inline: true }).catch((err) => setError(err instanceof Error ? err.message : "Could not start the reply."));
  const cls = "inline-flex items-center gap-1.5 rounded-full border border-slate-300 px-4 py-1.5 text-sm hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="reply-buttons">
      <button type="button" className={cls} onClick={() => void go("reply")} aria-keyshortcuts="r">
        ↩ Reply
      </button>
      {canReplyAll ? (
        <button type="button" className={cls} onClick={() => void go("replyAll")} aria-keyshortcuts="a">
          ↩↩ Reply all
        </button>
      ) : null}
      <button type="button" className={cls} onClick={() => void go("forward")} aria-keyshortcuts="f">
        ↪ Forward
      </button>
      {error ? <span role="alert" className="text-sm text-red-700">{error}</span> : null}
    </div>
  );
}

/** The inline compose windows anchored below message `mailbox`/`uid` (render right after it). */
export function InlineCompose({ mailbox, uid }: { mailbox: string; uid: number }) {
  const { windows, context } = useComposeStore();
  const anchor = `${mailbox}#${uid}`;
  const here = windows.filter((w) => w.placement === "inline" && w.anchor === anchor);
  if (here.length === 0) return null;
  return (
    <div className="flex flex-col gap-3">
      {here.map((w) => (
        <ComposeWindow key={w.key} win={w} context={context} />
      ))}
    </div>
  );
}

/**
 * What goes under the newest message of an open conversation: the Reply / Reply all / Forward
 * buttons, and the reply being written inline once one is clicked.
 */
export function ConversationReply({ mailbox, uid, canReplyAll = true }: { mailbox: string; uid: number; canReplyAll?: boolean }) {
  const { windows } = useComposeStore();
  const open = windows.some((w) => w.placement === "inline" && w.anchor === `${mailbox}#${uid}`);
  return open ? <InlineCompose mailbox={mailbox} uid={uid} /> : <ReplyButtons mailbox={mailbox} uid={uid} canReplyAll={canReplyAll} />;
}
