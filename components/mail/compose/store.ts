"use client";

import { useSyncExternalStore } from "react";
import { api } from "../api";
import type { ComposeContext, DraftView, ReplyMode, SendResult } from "./types";

// The compose windows of the page, in a small store outside React so that any part of the mail
// UI can open one with a plain function call (openCompose, openReply, openDraft) and the one
// <ComposeDock /> renders them. A window is docked in the corner (minimized, normal or maximized)
// or inline in the conversation it answers (anchored there), and can move between the two.

export interface ComposeWindowState {
  key: string;
  draft: DraftView;
  placement: "dock" | "inline";
  /** For inline windows: what they are anchored to (a "<mailbox>#<uid>" message key). */
  anchor: string | null;
  minimized: boolean;
  maximized: boolean;
  /** Bumped when the draft is replaced from outside (the window reloads its fields). */
  version: number;
}

export interface Toast {
  id: number;
  text: string;
  /** Queue id a held message can be taken back by. */
  undoId: number | null;
  until: number | null;
}

interface State {
  windows: ComposeWindowState[];
  toast: Toast | null;
  context: ComposeContext | null;
  /** Bumped when the list of scheduled messages may have changed. */
  scheduledVersion: number;
}

let state: State = { windows: [], toast: null, context: null, scheduledVersion: 0 };
const listeners = new Set<() => void>();
let counter = 0;

function set(next: Partial<State>): void {
  state = { ...state, ...next };
  for (const l of listeners) l();
}

export function useComposeStore(): State {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
    () => state,
  );
}

let contextLoading: Promise<ComposeContext> | null = null;

/** The sender choices, signature and limits (fetched once per page). */
export function loadComposeContext(): Promise<ComposeContext> {
  if (state.context) return Promise.resolve(state.context);
  contextLoading ??= api<ComposeContext>("/api/mail/send").then(
    (c) => {
      set({ context: c });
      return c;
    },
    (err) => {
      contextLoading = null;
      throw err;
    },
  );
  return contextLoading;
}

const MAX_DOCKED = 3;

function addWindow(draft: DraftView, opts: { placement?: "dock" | "inline"; anchor?: string | null } = {}): string {
  // The same draft is never open twice: focus the window that has it.
  const existing = state.windows.find((w) => draft.messageId && w.draft.messageId === draft.messageId);
  if (existing) {
    updateWindow(existing.key, { minimized: false });
    return existing.key;
  }
  const key = `c${++counter}`;
  const w: ComposeWindowState = { key, draft, placement: opts.placement ?? "dock", anchor: opts.anchor ?? null, minimized: false, maximized: false, version: 0 };
  let windows = [...state.windows, w];
  // Too many docked: the oldest ones fold to their title bar.
  const docked = windows.filter((x) => x.placement === "dock" && !x.minimized);
  if (docked.length > MAX_DOCKED) {
    const fold = new Set(docked.slice(0, docked.length - MAX_DOCKED).map((x) => x.key));
    windows = windows.map((x) => (fold.has(x.key) ? { ...x, minimized: true, maximized: false } : x));
  }
  set({ windows });
  return key;
}

export function updateWindow(key: string, patch: Partial<Omit<ComposeWindowState, "key">>): void {
  set({ windows: state.windows.map((w) => (w.key === key ? { ...w, ...patch } : w)) });
}

export function closeWindow(key: string): void {
  set({ windows: state.windows.filter((w) => w.key !== key) });
}

export function showToast(t: Omit<Toast, "id">): void {
  set({ toast: { ...t, id: ++counter } });
}

export function dismissToast(id?: number): void {
  if (!state.toast || (id !== undefined && state.toast.id !== id)) return;
  set({ toast: null });
}

export function scheduledChanged(): void {
  set({ scheduledVersion: state.scheduledVersion + 1 });
}

function signatureHtml(signature: string): string {
  if (!signature.trim()) return "";
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
  return `<p>-- <br>${signature.trim().split(/\r?\n/).map(esc).join("<br>")}</p>`;
}

/** Opens an empty compose window in the corner (with the signature), optionally addressed. */
export async function openCompose(opts: { to?: { name: string; address: string }[] } = {}): Promise<string> {
  const ctx = await loadComposeContext().catch(() => null);
  const sig = ctx ? signatureHtml(ctx.signature) : "";
  return addWindow({
    uid: null,
    messageId: "",
    from: ctx?.from.defaultAddress ?? "",
    to: opts.to ?? [],
    cc: [],
    bcc: [],
    subject: "",
    html: sig ? `<p></p>${sig}` : "",
    inReplyTo: null,
    references: [],
    attachments: [],
    forwardOf: null,
    answering: null,
    savedAt: null,
  });
}

/**
 * Reply, reply all or forward of message `uid` in `mailbox`: inline below it when `inline` (the
 * conversation view renders windows anchored to `${mailbox}#${uid}` with <InlineCompose />), else
 * docked.
 */
export async function openReply(input: { mailbox: string; uid: number; mode: ReplyMode; inline?: boolean }): Promise<string> {
  const [ctx, r] = await Promise.all([
    loadComposeContext().catch(() => null),
    api<{ draft: DraftView }>("/api/mail/drafts/reply", { method: "POST", json: { mailbox: input.mailbox, uid: input.uid, mode: input.mode } }),
  ]);
  const sig = ctx ? signatureHtml(ctx.signature) : "";
  // The signature goes above the quote, as Gmail puts it.
  const html = sig ? r.draft.html.replace(/^<p><\/p>/, `<p></p>${sig}`) : r.draft.html;
  const anchor = `${input.mailbox}#${input.uid}`;
  // One inline reply per message: a second click focuses it.
  const open = state.windows.find((w) => w.anchor === anchor && w.placement === "inline");
  if (open && input.inline) return open.key;
  return addWindow({ ...r.draft, html }, { placement: input.inline ? "inline" : "dock", anchor: input.inline ? anchor : null });
}

/** Reopens a saved draft (from Drafts, on any device) in a compose window. */
export async function openDraft(input: { uid: number } | { messageId: string }): Promise<string> {
  const q = "uid" in input ? `uid=${input.uid}` : `messageId=${encodeURIComponent(input.messageId)}`;
  const r = await api<{ draft: DraftView }>(`/api/mail/drafts?${q}`);
  return addWindow(r.draft);
}

/** Opens a draft returned by Undo / Cancel. */
export function openReturnedDraft(draft: DraftView): string {
  return addWindow(draft);
}

/** Takes a held message back (Undo, or cancelling a scheduled one) and reopens it. */
export async function takeBack(id: number): Promise<void> {
  const r = await api<{ draft: DraftView }>(`/api/mail/scheduled/${id}`, { method: "DELETE" });
  scheduledChanged();
  addWindow(r.draft);
}

/** Tells the page a message was sent (the dock shows the Undo toast). */
export function announceSent(result: SendResult): void {
  scheduledChanged();
  if (result.scheduled) {
    const when = new Date(result.sendAt).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    showToast({ text: `Send scheduled for ${when}.`, undoId: result.id, until: null });
  } else if (result.undoUntil) {
    showToast({ text: "Message sent.", undoId: result.id, until: new Date(result.undoUntil).getTime() });
  } else {
    showToast({ text: "Message sent.", undoId: null, until: Date.now() + 5000 });
  }
}
