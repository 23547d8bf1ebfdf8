"use client";

import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { api, ApiError } from "../api";
import { RecipientField } from "./recipient-field";
import { RichTextEditor } from "./rich-text-editor";
import { ScheduleMenu } from "./schedule-menu";
import { announceSent, closeWindow, updateWindow, type ComposeWindowState } from "./store";
import type { ComposeContext, DraftView, SendResult } from "./types";
import { uploadAttachment } from "./upload";

// One message being written: in the corner (normal, minimized to its title bar, or maximized) or
// inline in the conversation it answers. Every change is saved to Drafts a moment later (saves
// run one at a time, uploads included, so versions never cross); Send waits for the last save
// and upload, then hands the message to the server, which holds it for the Undo seconds.

const AUTOSAVE_MS = 1500;

interface Upload {
  key: number;
  name: string;
  size: number;
  progress: number;
  error: string | null;
}

function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}

function toInput(d: DraftView) {
  return {
    uid: d.uid,
    messageId: d.messageId || null,
    from: d.from || null,
    to: d.to,
    cc: d.cc,
    bcc: d.bcc,
    subject: d.subject,
    html: d.html,
    inReplyTo: d.inReplyTo,
    references: d.references,
    attachments: d.attachments.map((a) => a.id),
    forwardOf: d.forwardOf,
    answering: d.answering,
  };
}

function isBlank(d: DraftView): boolean {
  const text = d.html.replace(/<[^>]*>/g, "").replace(/&nbsp;/g, " ").replace(/^\s*--\s[\s\S]*$/m, "").trim();
  return !d.uid && !d.to.length && !d.cc.length && !d.bcc.length && !d.subject.trim() && !text && !d.attachments.length;
}

export function ComposeWindow({ win, context }: { win: ComposeWindowState; context: ComposeContext | null }) {
  const [draft, setDraftState] = useState<DraftView>(win.draft);
  const [showCc, setShowCc] = useState(win.draft.cc.length > 0 || win.draft.bcc.length > 0);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [status, setStatus] = useState<"idle" | "saving" | "saved" | "failed">(win.draft.uid ? "saved" : "idle");
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [bodyVersion, setBodyVersion] = useState(0);
  const draftRef = useRef(draft);
  const dirty = useRef(false);
  const chain = useRef<Promise<unknown>>(Promise.resolve());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const closed = useRef(false);
  // While a send is under way no save may start: it would file a draft of what was just sent.
  const sendingRef = useRef(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const uploadKey = useRef(0);

  useLayoutEffect(() => {
    draftRef.current = draft;
  });

  // A draft replaced from outside (reopened) reloads the fields.
  const lastVersion = useRef(win.version);
  useEffect(() => {
    if (win.version === lastVersion.current) return;
    lastVersion.current = win.version;
    setDraftState(win.draft);
    setBodyVersion((v) => v + 1);
  }, [win.version, win.draft]);

  const enqueue = useCallback(<T,>(task: () => Promise<T>): Promise<T> => {
    const run = chain.current.then(task, task);
    chain.current = run.catch(() => undefined);
    return run;
  }, []);

  const save = useCallback(async () => {
    if (!dirty.current || sendingRef.current || closed.current) return;
    const snapshot = draftRef.current;
    if (isBlank(snapshot)) return;
    dirty.current = false;
    setStatus("saving");
    try {
      const r = await api<{ draft: DraftView }>("/api/mail/drafts", { method: "PUT", json: toInput(snapshot) });
      setDraftState((d) => ({ ...d, uid: r.draft.uid, messageId: r.draft.messageId, savedAt: r.draft.savedAt, forwardOf: null }));
      draftRef.current = { ...draftRef.current, uid: r.draft.uid, messageId: r.draft.messageId, forwardOf: null };
      setStatus("saved");
    } catch (err) {
      dirty.current = true;
      setStatus("failed");
      if (!(err instanceof ApiError && err.offline)) setError(err instanceof Error ? err.message : "The draft could not be saved.");
    }
  }, []);

  const scheduleSave = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => void enqueue(save), AUTOSAVE_MS);
  }, [enqueue, save]);

  const flush = useCallback(async () => {
    if (timer.current) clearTimeout(timer.current);
    await enqueue(save);
  }, [enqueue, save]);

  const update = useCallback(
    (patch: Partial<DraftView>) => {
      setDraftState((d) => {
        const next = { ...d, ...patch };
        draftRef.current = next;
        return next;
      });
      dirty.current = true;
      setError(null);
      scheduleSave();
    },
    [scheduleSave],
  );

  // Leaving the page or closing the conversation: the latest state is kept (and saved).
  useEffect(() => {
    const key = win.key;
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (dirty.current || sendingRef.current) {
        void enqueue(save);
        e.preventDefault();
      }
    };
    window.addEventListener("beforeunload", beforeUnload);
    return () => {
      window.removeEventListener("beforeunload", beforeUnload);
      if (!closed.current) {
        if (dirty.current) void enqueue(save);
        updateWindow(key, { draft: draftRef.current });
      }
    };
  }, [win.key, enqueue, save]);

  const attach = useCallback(
    (files: FileList | File[]) => {
      const max = context?.maxMessageSize ?? 25 * 1024 * 1024;
      // Base64 makes an attachment a third larger in the message.
      let budget = Math.floor(max * 0.74) - draftRef.current.attachments.reduce((n, a) => n + a.size, 0) - uploads.reduce((n, u) => n + (u.error ? 0 : u.size), 0);
      for (const file of Array.from(files)) {
        const key = ++uploadKey.current;
        if (file.size > budget) {
          setUploads((u) => [...u, { key, name: file.name, size: file.size, progress: 0, error: `Too large: a message can carry about ${formatSize(Math.floor(max * 0.74))} of attachments.` }]);
          continue;
        }
        budget -= file.size;
        setUploads((u) => [...u, { key, name: file.name, size: file.size, progress: 0, error: null }]);
        void enqueue(async () => {
          try {
            const saved = await uploadAttachment({
              draft: toInput(draftRef.current),
              file,
              onProgress: (p) => setUploads((u) => u.map((x) => (x.key === key ? { ...x, progress: p } : x))),
            });
            setDraftState((d) => {
              const have = new Set(d.attachments.map((a) => a.id));
              const next = { ...d, uid: saved.uid, messageId: saved.messageId, savedAt: saved.savedAt, forwardOf: null, attachments: [...d.attachments, ...saved.attachments.filter((a) => !have.has(a.id))] };
              draftRef.current = next;
              return next;
            });
            setStatus("saved");
            setUploads((u) => u.filter((x) => x.key !== key));
          } catch (err) {
            setUploads((u) => u.map((x) => (x.key === key ? { ...x, error: err instanceof Error ? err.message : "Upload failed." } : x)));
          }
        });
      }
    },
    [context, enqueue, uploads],
  );

  const send = useCallback(
    async (sendAt?: string) => {
      if (sending) return;
      const d = draftRef.current;
      if (!d.to.length && !d.cc.length && !d.bcc.length) {
        setError("Add at least one recipient.");
        return;
      }
      if (uploads.some((u) => !u.error)) {
        setError("Wait for the attachments to finish uploading.");
        return;
      }
      sendingRef.current = true;
      setSending(true);
      setError(null);
      if (timer.current) clearTimeout(timer.current);
      try {
        // The last save and uploads finish first (their attachments are then in Drafts).
        await chain.current;
        const result = await api<SendResult>("/api/mail/send", { method: "POST", json: { ...toInput(draftRef.current), sendAt: sendAt ?? null } });
        closed.current = true;
        dirty.current = false;
        closeWindow(win.key);
        announceSent(result);
      } catch (err) {
        setError(err instanceof Error ? err.message : "The message could not be sent.");
        sendingRef.current = false;
        setSending(false);
        if (dirty.current) scheduleSave();
      }
    },
    [sending, uploads, win.key, scheduleSave],
  );

  const discard = useCallback(async () => {
    closed.current = true;
    if (timer.current) clearTimeout(timer.current);
    dirty.current = false;
    await chain.current;
    closeWindow(win.key);
    const id = draftRef.current.messageId;
    if (id && draftRef.current.uid) await api(`/api/mail/drafts?messageId=${encodeURIComponent(id)}`, { method: "DELETE" }).catch(() => undefined);
  }, [win.key]);

  const close = useCallback(async () => {
    await flush();
    closed.current = true;
    closeWindow(win.key);
  }, [flush, win.key]);

  const inline = win.placement === "inline";
  const title = draft.subject.trim() || (draft.inReplyTo ? "Reply" : "New message");
  const froms = context?.from.addresses ?? [];

  const frame = inline
    ? "relative flex min-h-72 flex-col rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-700 dark:bg-slate-900"
    : win.maximized
      ? "fixed inset-2 z-50 flex flex-col rounded-xl border border-slate-300 bg-white shadow-2xl sm:inset-8 lg:inset-x-[10%] dark:border-slate-700 dark:bg-slate-900"
      : win.minimized
        ? "flex w-64 flex-col rounded-t-xl border border-b-0 border-slate-300 bg-white shadow-xl dark:border-slate-700 dark:bg-slate-900"
        : "flex h-[min(36rem,calc(100dvh-5rem))] w-[min(34rem,calc(100vw-1rem))] flex-col rounded-t-xl border border-b-0 border-slate-300 bg-white shadow-2xl dark:border-slate-700 dark:bg-slate-900";

  return (
    <>
      {win.maximized && !inline ? <div className="fixed inset-0 z-40 bg-slate-900/40" onClick={() => updateWindow(win.key, { maximized: false })} /> : null}
      <section
        role="dialog"
        aria-label={title}
        aria-modal={win.maximized && !inline ? true : undefined}
        data-testid="compose-window"
        data-placement={win.placement}
        className={frame}
        onDragEnter={(e) => {
          if (e.dataTransfer.types.includes("Files")) {
            e.preventDefault();
            setDragging(true);
          }
        }}
        onDragOver={(e) => {
          if (e.dataTransfer.types.includes("Files")) {
            e.preventDefault();
            e.dataTransfer.dropEffect = "copy";
          }
        }}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
        }}
        onDrop={(e) => {
          if (!e.dataTransfer.files.length) return;
          e.preventDefault();
          setDragging(false);
          attach(e.dataTransfer.files);
        }}
        onKeyDown={(e) => {
          if (e.key === "Escape" && win.maximized) updateWindow(win.key, { maximized: false });
        }}
      >
        <header
          className={`flex h-10 shrink-0 items-center gap-1 px-3 text-sm font-medium ${inline ? "border-b border-slate-100 dark:border-slate-800" : "cursor-pointer rounded-t-xl bg-slate-800 text-white dark:bg-slate-700"}`}
          onClick={() => !inline && win.minimized && updateWindow(win.key, { minimized: false })}
        >
          <h2 className="min-w-0 flex-1 truncate">{title}</h2>
          {!inline ? (
            <HeaderButton label={win.minimized ? "Restore" : "Minimize"} onClick={() => updateWindow(win.key, { minimized: !win.minimized, maximized: false })}>
              {win.minimized ? "▴" : "▁"}
            </HeaderButton>
          ) : null}
          {!win.minimized ? (
            <HeaderButton
              label={inline ? "Pop out" : win.maximized ? "Exit full screen" : "Full screen"}
              onClick={async () => {
                if (inline) {
                  await flush();
                  updateWindow(win.key, { placement: "dock", anchor: null, draft: draftRef.current, version: win.version + 1 });
                } else updateWindow(win.key, { maximized: !win.maximized });
              }}
            >
              {inline ? "↗" : win.maximized ? "⤡" : "⤢"}
            </HeaderButton>
          ) : null}
          <HeaderButton label="Save and close" onClick={() => void close()}>
            ×
          </HeaderButton>
        </header>

        {!win.minimized ? (
          <div className="flex min-h-0 flex-1 flex-col">
            {froms.length > 1 ? (
              <label className="flex items-center gap-2 border-b border-slate-100 px-3 py-1 text-sm dark:border-slate-800">
                <span className="text-slate-500">From</span>
                <select
                  className="min-w-0 flex-1 bg-transparent py-1 outline-none"
                  value={draft.from || context?.from.defaultAddress}
                  onChange={(e) => update({ from: e.target.value })}
                  data-testid="compose-from"
                >
                  {froms.map((a) => (
                    <option key={a} value={a}>
                      {context?.from.displayName ? `${context.from.displayName} <${a}>` : a}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
            <div className="relative">
              <RecipientField label="To" value={draft.to} onChange={(to) => update({ to })} autoFocus={!inline && !draft.to.length} testId="compose-to" />
              {!showCc ? (
                <button type="button" className="absolute top-1.5 right-3 text-xs text-slate-500 hover:underline" onClick={() => setShowCc(true)}>
                  Cc Bcc
                </button>
              ) : null}
            </div>
            {showCc ? (
              <>
                <RecipientField label="Cc" value={draft.cc} onChange={(cc) => update({ cc })} testId="compose-cc" />
                <RecipientField label="Bcc" value={draft.bcc} onChange={(bcc) => update({ bcc })} testId="compose-bcc" />
              </>
            ) : null}
            <input
              aria-label="Subject"
              placeholder="Subject"
              data-testid="compose-subject"
              className="border-b border-slate-100 bg-transparent px-3 py-2 text-sm outline-none dark:border-slate-800"
              value={draft.subject}
              onChange={(e) => update({ subject: e.target.value })}
            />
            <RichTextEditor
              label="Message body"
              initialHtml={draft.html}
              version={bodyVersion}
              autoFocus={inline || draft.to.length > 0}
              onChange={(html) => update({ html })}
              onSubmitShortcut={() => void send()}
            />
            {draft.attachments.length || uploads.length ? (
              <ul aria-label="Attachments" className="flex max-h-32 flex-wrap gap-2 overflow-y-auto border-t border-slate-100 px-3 py-2 dark:border-slate-800">
                {draft.attachments.map((a) => (
                  <li key={a.id} className="flex max-w-56 items-center gap-2 rounded-md border border-slate-200 px-2 py-1 text-xs dark:border-slate-700" data-testid="compose-attachment">
                    {draft.uid ? (
                      <a className="min-w-0 truncate hover:underline" href={`/api/mail/drafts/attachments?uid=${draft.uid}&id=${a.id}`} download={a.filename}>
                        {a.filename}
                      </a>
                    ) : (
                      <span className="min-w-0 truncate">{a.filename}</span>
                    )}
                    <span className="shrink-0 text-slate-500">{formatSize(a.size)}</span>
                    <button
                      type="button"
                      aria-label={`Remove ${a.filename}`}
                      className="rounded px-1 text-slate-500 hover:bg-slate-100 dark:hover:bg-slate-800"
                      onClick={() => update({ attachments: draftRef.current.attachments.filter((x) => x.id !== a.id) })}
                    >
                      ×
                    </button>
                  </li>
                ))}
                {uploads.map((u) => (
                  <li key={u.key} className="flex w-56 flex-col gap-1 rounded-md border border-slate-200 px-2 py-1 text-xs dark:border-slate-700" data-testid="compose-upload">
                    <div className="flex items-center gap-2">
                      <span className="min-w-0 flex-1 truncate">{u.name}</span>
                      <span className="text-slate-500">{formatSize(u.size)}</span>
                      {u.error ? (
                        <button type="button" aria-label={`Dismiss ${u.name}`} className="rounded px-1 text-slate-500" onClick={() => setUploads((x) => x.filter((y) => y.key !== u.key))}>
                          ×
                        </button>
                      ) : null}
                    </div>
                    {u.error ? (
                      <span role="alert" className="text-red-700 dark:text-red-400">
                        {u.error}
                      </span>
                    ) : (
                      <progress className="h-1.5 w-full" max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />
                    )}
                  </li>
                ))}
              </ul>
            ) : null}
            {error ? (
              <p role="alert" className="border-t border-red-200 bg-red-50 px-3 py-1.5 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200" data-testid="compose-error">
                {error}
              </p>
            ) : null}
            <footer className="flex shrink-0 items-center gap-2 px-3 py-2">
              <div className="flex">
                <button
                  type="button"
                  className="rounded-l-full bg-brand-600 px-5 py-2 text-sm font-medium text-white hover:bg-brand-700 disabled:opacity-60"
                  disabled={sending}
                  onClick={() => void send()}
                  data-testid="compose-send"
                  aria-keyshortcuts="Control+Enter"
                >
                  {sending ? "Sending…" : "Send"}
                </button>
                <ScheduleMenu timeZone={context?.timeZone ?? ""} disabled={sending} onSchedule={(at) => void send(at)} />
              </div>
              <input ref={fileInput} type="file" multiple hidden data-testid="compose-file" onChange={(e) => e.target.files && (attach(e.target.files), (e.target.value = ""))} />
              <button
                type="button"
                aria-label="Attach files"
                title="Attach files (or drop them here)"
                className="rounded-lg p-2 text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
                onClick={() => fileInput.current?.click()}
              >
                <svg viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
                  <path d="M20 11.5 12 19.5a5 5 0 0 1-7-7l8.5-8.5a3.5 3.5 0 0 1 5 5L10 17.5a2 2 0 0 1-3-3L14.5 7" />
                </svg>
              </button>
              <span className="min-w-0 flex-1 truncate text-xs text-slate-500" aria-live="polite" data-testid="compose-status">
                {status === "saving" ? "Saving…" : status === "saved" ? "Draft saved" : status === "failed" ? "Not saved yet; retrying" : ""}
              </span>
              <button
                type="button"
                aria-label="Discard draft"
                title="Discard draft"
                className="rounded-lg p-2 text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
                onClick={() => void discard()}
                data-testid="compose-discard"
              >
                <svg viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
                  <path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6" />
                </svg>
              </button>
            </footer>
          </div>
        ) : null}
        {dragging ? (
          <div className="pointer-events-none absolute inset-0 z-10 flex items-center justify-center rounded-xl border-2 border-dashed border-brand-500 bg-brand-50/90 text-sm font-medium text-brand-700 dark:bg-slate-900/90">
            Drop files to attach
          </div>
        ) : null}
      </section>
    </>
  );
}

function HeaderButton({ label, onClick, children }: { label: string; onClick: () => void; children: React.ReactNode }) {
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      className="flex size-7 items-center justify-center rounded hover:bg-white/15"
      onClick={(e) => {
        e.stopPropagation();
        onClick();
      }}
    >
      {children}
    </button>
  );
}
