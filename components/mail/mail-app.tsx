"use client";

import Link from "next/link";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { ConversationPage, ConversationRow, MessageRef } from "@/lib/imap-client/conversations";
import type { MailboxSummary } from "@/lib/imap-client/mailboxes";
import type { ConversationView, MessageView } from "@/lib/web/mail/conversation";
import { api, ApiError, goToSignIn, takeResumeLocation } from "./api";
import { ConversationList } from "./conversation-list";
import { ConversationPane } from "./conversation-pane";
import { HelpOverlay } from "./help-overlay";
import { Icon } from "./icons";
import { MailRail } from "./mail-rail";
import { INBOX_PLACE, listKey, placeFromParams, placeUrl, type Place } from "./place";
import type { Action } from "./actions";
import { useShortcuts } from "./use-shortcuts";
import { setDisplayTimeZone } from "./format";
import { ComposeDock } from "./compose/compose-dock";
import { openCompose, openDraft, openReply } from "./compose/store";

// The webmail: folders, the conversation list and the open conversation, kept in step with the URL
// and with the server (IMAP IDLE → SSE). Errors never clear what is shown: the banner says what
// failed and retries; an ended session keeps the place for after signing in again.

export interface MailInitial {
  place: Place;
  mailboxes: MailboxSummary[] | null;
  page: ConversationPage | null;
  error: string | null;
}

interface ListState {
  key: string;
  rows: ConversationRow[];
  nextCursor: string | null;
  total: number;
  loading: boolean;
  error: string | null;
  loaded: boolean;
  /** Pages in a row that added nothing (their threads were all shown already); scrolling stops asking after a few. */
  emptyPages: number;
}

interface ConversationState {
  id: string;
  data: ConversationView | null;
  loading: boolean;
  error: string | null;
}

const MOVING: Action[] = ["archive", "trash", "delete", "spam", "notspam", "move", "inbox"];

function listUrl(p: Place, cursor?: string | null): string {
  const q = new URLSearchParams({ view: p.view, mailbox: p.mailbox, limit: "50" });
  if (p.q) q.set("q", p.q);
  if (cursor) q.set("cursor", cursor);
  return `/api/mail/conversations?${q}`;
}

function cursorUid(cursor: string | null): number | null {
  const m = /^m\.\d+\.(\d+)\./.exec(cursor ?? "");
  return m ? Number(m[1]) : null;
}

function groupTargets(refs: { mailbox: string; uid: number }[]): { mailbox: string; uids: number[] }[] {
  const by = new Map<string, number[]>();
  for (const r of refs) by.set(r.mailbox, [...(by.get(r.mailbox) ?? []), r.uid]);
  return [...by].map(([mailbox, uids]) => ({ mailbox, uids }));
}

function recompute(row: ConversationRow, refs: MessageRef[]): ConversationRow {
  return { ...row, refs, unread: refs.some((r) => !r.seen), starred: refs.some((r) => r.flagged) };
}

/** The user's Settings → Preferences that shape the page. */
export interface MailPreferencesProps {
  shortcuts?: boolean;
  readingPane?: "right" | "bottom" | "off";
  /** IANA time zone for dates; "" follows the browser. */
  timeZone?: string;
}

/** Where the list and the open conversation go, per the reading-pane preference. */
function paneClasses(readingPane: MailPreferencesProps["readingPane"], open: boolean): { wrap: string; list: string; conversation: string } {
  if (readingPane === "off") {
    return { wrap: "contents", list: `${open ? "hidden" : "flex"} min-w-0 flex-1 flex-col`, conversation: `${open ? "flex" : "hidden"} min-w-0 flex-1 flex-col` };
  }
  if (readingPane === "bottom") {
    return {
      wrap: "flex min-w-0 flex-1 flex-col",
      list: `${open ? "hidden lg:flex" : "flex"} min-h-0 flex-1 flex-col border-slate-200 lg:max-h-[45%] lg:border-b dark:border-slate-800`,
      conversation: `${open ? "flex" : "hidden lg:flex"} min-h-0 flex-1 flex-col`,
    };
  }
  return {
    wrap: "contents",
    list: `${open ? "hidden lg:flex" : "flex"} min-w-0 flex-1 flex-col border-slate-200 lg:max-w-[34rem] lg:border-r xl:max-w-[38rem] dark:border-slate-800`,
    conversation: `${open ? "flex" : "hidden lg:flex"} min-w-0 flex-1 flex-col`,
  };
}

export function MailApp({ email, initial, signOut, shortcuts = true, readingPane = "right", timeZone = "" }: { email: string; initial: MailInitial; signOut: ReactNode } & MailPreferencesProps) {
  const [place, setPlace] = useState<Place>(initial.place);
  const [mailboxes, setMailboxes] = useState<MailboxSummary[]>(initial.mailboxes ?? []);
  const [list, setList] = useState<ListState>(() => ({
    key: listKey(initial.place),
    rows: initial.page?.rows ?? [],
    nextCursor: initial.page?.nextCursor ?? null,
    total: initial.page?.total ?? 0,
    loading: !initial.page,
    error: initial.page ? null : initial.error,
    loaded: !!initial.page,
    emptyPages: 0,
  }));
  const [conv, setConv] = useState<ConversationState | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [focusIndex, setFocusIndex] = useState(0);
  const [offline, setOffline] = useState<string | null>(initial.error && !initial.page ? initial.error : null);
  const [notice, setNotice] = useState<string | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [railOpen, setRailOpen] = useState(false);
  const [hydrated, setHydrated] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<{ focusRow(index: number): void } | null>(null);
  // The latest state, for callbacks that outlive a render (events, timers, the SSE stream).
  const placeRef = useRef(place);
  const listStateRef = useRef(list);
  const convRef = useRef(conv);
  useLayoutEffect(() => {
    placeRef.current = place;
    listStateRef.current = list;
    convRef.current = conv;
  });
  const requestId = useRef(0);

  const currentMailbox = mailboxes.find((m) => m.path === place.mailbox) ?? null;
  const role = place.view === "starred" ? "flagged" : (currentMailbox?.role ?? (place.mailbox === "INBOX" ? "inbox" : null));

  const say = useCallback((text: string) => {
    setNotice(text);
  }, []);

  const failed = useCallback((err: unknown, what: string) => {
    if (err instanceof ApiError && err.status === 401) return;
    if (err instanceof ApiError && err.offline) setOffline(err.message);
    else say(`${what}: ${err instanceof Error ? err.message : "something went wrong"}`);
  }, [say]);

  // ---- loading -------------------------------------------------------------------------------

  const loadMailboxes = useCallback(async () => {
    try {
      const r = await api<{ mailboxes: MailboxSummary[] }>("/api/mail/mailboxes");
      setMailboxes(r.mailboxes);
      return true;
    } catch (err) {
      failed(err, "Folders could not be loaded");
      return false;
    }
  }, [failed]);

  const loadList = useCallback(async (p: Place) => {
    const key = listKey(p);
    const id = ++requestId.current;
    setList((l) => (l.key === key ? { ...l, loading: true, error: null } : { key, rows: [], nextCursor: null, total: 0, loading: true, error: null, loaded: false, emptyPages: 0 }));
    try {
      const page = await api<ConversationPage>(listUrl(p));
      if (id !== requestId.current) return;
      setList({ key, rows: page.rows, nextCursor: page.nextCursor, total: page.total, loading: false, error: null, loaded: true, emptyPages: 0 });
      setOffline(null);
    } catch (err) {
      if (id !== requestId.current) return;
      setList((l) => ({ ...l, loading: false, error: err instanceof Error ? err.message : "The list could not be loaded." }));
      failed(err, "The list could not be loaded");
    }
  }, [failed]);

  const loadMore = useCallback(async () => {
    const l = listStateRef.current;
    const p = placeRef.current;
    if (!l.nextCursor || l.loading || l.key !== listKey(p)) return;
    setList((s) => ({ ...s, loading: true }));
    try {
      const page = await api<ConversationPage>(listUrl(p, l.nextCursor));
      setList((s) => {
        if (s.key !== l.key) return s;
        const have = new Set(s.rows.map((r) => r.id));
        const added = page.rows.filter((r) => !have.has(r.id));
        return { ...s, rows: [...s.rows, ...added], nextCursor: page.nextCursor, total: page.total, loading: false, emptyPages: added.length ? 0 : s.emptyPages + 1 };
      });
      setOffline(null);
    } catch (err) {
      setList((s) => ({ ...s, loading: false }));
      failed(err, "More conversations could not be loaded");
    }
  }, [failed]);

  /** Fetches the first page again and merges it over what is shown (live updates, retries). */
  const refreshTop = useCallback(async () => {
    const p = placeRef.current;
    const key = listKey(p);
    try {
      const page = await api<ConversationPage>(listUrl(p));
      setOffline(null);
      setList((s) => {
        if (s.key !== key) return s;
        if (!s.loaded || !page.nextCursor || p.view !== "mailbox") {
          return { key, rows: page.rows, nextCursor: page.nextCursor, total: page.total, loading: false, error: null, loaded: true, emptyPages: 0 };
        }
        const fresh = new Set(page.rows.map((r) => r.id));
        const below = cursorUid(page.nextCursor);
        const kept = s.rows.filter((r) => !fresh.has(r.id) && below !== null && r.mailbox === page.mailbox && r.latestUid < below);
        return { ...s, rows: [...page.rows, ...kept], total: page.total, nextCursor: kept.length ? s.nextCursor : page.nextCursor, error: null, loaded: true };
      });
      return true;
    } catch (err) {
      failed(err, "The list could not be refreshed");
      return false;
    }
  }, [failed]);

  const loadConversation = useCallback(async (id: string, mailbox: string, opts: { quiet?: boolean } = {}) => {
    if (!opts.quiet) setConv((c) => ({ id, data: c?.id === id ? c.data : null, loading: true, error: null }));
    try {
      const data = await api<ConversationView>(`/api/mail/conversations/${encodeURIComponent(id)}?mailbox=${encodeURIComponent(mailbox)}`);
      setConv((c) => (c && c.id !== id ? c : { id, data, loading: false, error: null }));
      setOffline(null);
      const unseen = data.messages.filter((m) => !m.seen);
      if (unseen.length) {
        // Opening a conversation reads it, as in every mail client.
        await api("/api/mail/actions", { method: "POST", json: { action: "read", targets: groupTargets(unseen) } });
        const read = new Set(unseen.map((m) => `${m.mailbox}#${m.uid}`));
        setList((s) => ({ ...s, rows: s.rows.map((r) => (r.id === id ? recompute(r, r.refs.map((f) => (read.has(`${f.mailbox}#${f.uid}`) ? { ...f, seen: true } : f))) : r)) }));
        setConv((c) => (c && c.id === id && c.data ? { ...c, data: { ...c.data, messages: c.data.messages.map((m) => (read.has(`${m.mailbox}#${m.uid}`) ? { ...m, seen: true } : m)) } } : c));
        void loadMailboxes();
      }
    } catch (err) {
      // A background refresh that fails leaves what is shown alone (the banner says what is wrong).
      setConv((c) =>
        c && (c.id !== id || (opts.quiet && c.data)) ? { ...c, loading: false } : { id, data: c?.data ?? null, loading: false, error: err instanceof Error ? err.message : "The conversation could not be opened." },
      );
      failed(err, "The conversation could not be opened");
    }
  }, [failed, loadMailboxes]);

  // ---- navigation ----------------------------------------------------------------------------

  const go = useCallback((next: Place, opts: { replace?: boolean } = {}) => {
    const prev = placeRef.current;
    const url = placeUrl(next);
    if (opts.replace) window.history.replaceState(null, "", url);
    else if (url !== placeUrl(prev)) window.history.pushState(null, "", url);
    placeRef.current = next;
    setPlace(next);
    setRailOpen(false);
    if (listKey(next) !== listKey(prev)) {
      setSelected(new Set());
      setFocusIndex(0);
      void loadList(next);
    }
    if (next.open && next.open !== prev.open) void loadConversation(next.open, next.mailbox);
    if (!next.open) setConv(null);
  }, [loadList, loadConversation]);

  // Dates in the user's time zone (Settings → Preferences) once the page runs in the browser.
  useLayoutEffect(() => {
    setDisplayTimeZone(timeZone);
  }, [timeZone]);

  // First load: resume a place saved before a sign-in; fetch what the server could not give.
  useEffect(() => {
    setHydrated(true);
    const resume = takeResumeLocation();
    if (resume && resume !== placeUrl(placeRef.current)) {
      const target = placeFromParams(new URL(resume, location.origin).searchParams);
      go(target, { replace: true });
      if (listKey(target) === listKey(placeRef.current)) void loadList(target);
      return;
    }
    if (!initial.page) void loadList(placeRef.current);
    if (!initial.mailboxes) void loadMailboxes();
    if (placeRef.current.open) void loadConversation(placeRef.current.open, placeRef.current.mailbox);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const onPop = () => {
      const next = placeFromParams(new URLSearchParams(location.search));
      go(next, { replace: true });
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, [go]);

  // ---- live updates (SSE fed by IMAP IDLE) ---------------------------------------------------

  const watched = place.view === "starred" ? "INBOX" : place.mailbox;
  const [live, setLive] = useState<"connecting" | "live" | "paused">("connecting");
  useEffect(() => {
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    const onChange = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        void refreshTop();
        void loadMailboxes();
        const c = convRef.current;
        if (c?.data) void loadConversation(c.id, placeRef.current.mailbox, { quiet: true });
      }, 120);
    };
    const connect = () => {
      if (stopped) return;
      setLive("connecting");
      source = new EventSource(`/api/mail/events?mailbox=${encodeURIComponent(watched)}`);
      let wasReady = false;
      source.addEventListener("ready", () => {
        setLive("live");
        if (wasReady) onChange();
        wasReady = true;
      });
      source.addEventListener("change", onChange);
      source.addEventListener("signedout", () => {
        source?.close();
        goToSignIn();
      });
      source.addEventListener("failure", (e) => {
        setLive("paused");
        // A folder that is gone will not come back by reconnecting.
        if (/"NOT_FOUND"/.test((e as MessageEvent).data ?? "")) source?.close();
      });
      source.onerror = () => {
        if (source?.readyState === EventSource.CLOSED) {
          // Refused outright (401, 5xx): find out which by asking the API, then try again later.
          setLive("paused");
          void loadMailboxes().then((ok) => {
            if (ok) void refreshTop();
          });
          retryTimer = setTimeout(connect, 5000);
        } else {
          setLive("connecting");
        }
      };
    };
    connect();
    return () => {
      stopped = true;
      source?.close();
      if (timer) clearTimeout(timer);
      if (retryTimer) clearTimeout(retryTimer);
    };
  }, [watched, refreshTop, loadMailboxes, loadConversation]);

  // While the mail server is unreachable, try again every few seconds.
  useEffect(() => {
    if (!offline) return;
    const t = setInterval(async () => {
      const ok = await loadMailboxes();
      if (ok) {
        setOffline(null);
        await refreshTop();
        const c = convRef.current;
        if (c && !c.data) void loadConversation(c.id, placeRef.current.mailbox);
      }
    }, 5000);
    return () => clearInterval(t);
  }, [offline, loadMailboxes, refreshTop, loadConversation]);

  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => setNotice(null), 6000);
    return () => clearTimeout(t);
  }, [notice]);

  // ---- actions -------------------------------------------------------------------------------

  const act = useCallback(
    async (action: Action, rows: ConversationRow[], opts: { destination?: string; conversation?: ConversationView | null } = {}) => {
      const p = placeRef.current;
      let refs: { mailbox: string; uid: number }[];
      let realAction: Action = action;
      const c = opts.conversation;
      if (c) {
        const msgs = c.messages;
        const here = msgs.filter((m) => m.mailbox === p.mailbox || p.view === "starred");
        if (action === "star") refs = msgs.slice(-1);
        else if (action === "unstar") refs = msgs.filter((m) => m.flagged);
        else if (action === "read" || action === "unread" || action === "trash") refs = msgs;
        else refs = here.length ? here : msgs;
      } else {
        refs = rows.flatMap((r) => {
          if (action === "star") return r.refs.slice(-1);
          if (action === "unstar") return r.refs.filter((f) => f.flagged);
          return r.refs;
        });
      }
      if (action === "toggleStar") {
        const starred = c ? c.messages.some((m) => m.flagged) : rows.some((r) => r.starred);
        return act(starred ? "unstar" : "star", rows, opts);
      }
      if (refs.length === 0) return;
      if (action === "trash" && (role === "trash" || role === "junk")) realAction = "delete";
      const ids = new Set(c ? [c.id] : rows.map((r) => r.id));
      const moving = MOVING.includes(realAction) && !(realAction === "inbox" && p.mailbox === "INBOX");
      // Rows leave the list when their messages leave the folder (in Starred: when unstarred, or deleted).
      const leaves = p.view === "starred" ? realAction === "unstar" || realAction === "trash" || realAction === "delete" || realAction === "spam" : moving;
      const before = listStateRef.current.rows;
      const beforeIndex = before.findIndex((r) => ids.has(r.id));
      // Optimistic: rows leave the list at once, flags change at once.
      setList((s) => {
        if (leaves) return { ...s, rows: s.rows.filter((r) => !ids.has(r.id)), total: Math.max(0, s.total - refs.length) };
        const key = new Set(refs.map((r) => `${r.mailbox}#${r.uid}`));
        const change = (f: MessageRef): MessageRef => {
          if (!key.has(`${f.mailbox}#${f.uid}`)) return f;
          if (realAction === "read") return { ...f, seen: true };
          if (realAction === "unread") return { ...f, seen: false };
          if (realAction === "star") return { ...f, flagged: true };
          if (realAction === "unstar") return { ...f, flagged: false };
          return f;
        };
        return { ...s, rows: s.rows.map((r) => (ids.has(r.id) ? recompute(r, r.refs.map(change)) : r)) };
      });
      setSelected((sel) => (leaves ? new Set([...sel].filter((id) => !ids.has(id))) : sel));
      if (c) {
        if (moving) {
          go({ ...p, open: null });
          setFocusIndex(Math.max(0, Math.min(beforeIndex, before.length - 2)));
        } else {
          const key = new Set(refs.map((r) => `${r.mailbox}#${r.uid}`));
          setConv((s) =>
            s && s.data
              ? {
                  ...s,
                  data: {
                    ...s.data,
                    messages: s.data.messages.map((m): MessageView => {
                      if (!key.has(`${m.mailbox}#${m.uid}`)) return m;
                      if (realAction === "read") return { ...m, seen: true };
                      if (realAction === "unread") return { ...m, seen: false };
                      if (realAction === "star") return { ...m, flagged: true };
                      if (realAction === "unstar") return { ...m, flagged: false };
                      return m;
                    }),
                  },
                }
              : s,
          );
          if (realAction === "unread") go({ ...p, open: null });
        }
      } else if (moving && p.open && ids.has(p.open)) {
        go({ ...p, open: null });
      }
      try {
        await api("/api/mail/actions", { method: "POST", json: { action: realAction, targets: groupTargets(refs), destination: opts.destination } });
        const n = c ? 1 : rows.length;
        const what = n === 1 ? "Conversation" : `${n} conversations`;
        const done: Partial<Record<Action, string>> = {
          archive: `${what} archived.`,
          trash: `${what} moved to Trash.`,
          delete: `${what} deleted forever.`,
          spam: `${what} marked as spam.`,
          notspam: `${what} moved to the Inbox.`,
          inbox: `${what} moved to the Inbox.`,
          move: `${what} moved to ${opts.destination}.`,
          read: `${what} marked as read.`,
          unread: `${what} marked as unread.`,
          star: `${what} starred.`,
          unstar: `Star removed.`,
        };
        say(done[realAction] ?? "Done.");
      } catch (err) {
        failed(err, "That did not work");
        void refreshTop();
      }
      void loadMailboxes();
    },
    [go, role, say, failed, refreshTop, loadMailboxes],
  );

  const openRow = useCallback(
    (row: ConversationRow) => {
      const i = listStateRef.current.rows.findIndex((r) => r.id === row.id);
      if (i >= 0) setFocusIndex(i);
      // A draft opens in a compose window (on any device: it is read from Drafts).
      if (row.draft && role === "drafts") {
        void openDraft({ uid: row.latestUid }).catch((err) => failed(err, "The draft could not be opened"));
        return;
      }
      go({ ...placeRef.current, open: row.id });
    },
    [go, role, failed],
  );

  // ---- keyboard ------------------------------------------------------------------------------

  const rows = useMemo(() => (list.key === listKey(place) ? list.rows : []), [list, place]);
  const targetsForKey = useCallback((): { rows: ConversationRow[]; conversation: ConversationView | null } => {
    const sel = listStateRef.current.rows.filter((r) => selected.has(r.id));
    if (sel.length) return { rows: sel, conversation: null };
    const c = convRef.current;
    if (placeRef.current.open && c?.data) return { rows: [], conversation: c.data };
    const r = listStateRef.current.rows[focusIndex];
    return { rows: r ? [r] : [], conversation: null };
  }, [selected, focusIndex]);

  const moveFocus = useCallback(
    (delta: number) => {
      const all = listStateRef.current.rows;
      if (all.length === 0) return;
      const p = placeRef.current;
      const current = p.open ? all.findIndex((r) => r.id === p.open) : focusIndex;
      const next = Math.max(0, Math.min(all.length - 1, (current < 0 ? focusIndex : current) + delta));
      setFocusIndex(next);
      if (p.open) go({ ...p, open: all[next].id });
      else listRef.current?.focusRow(next);
      if (next >= all.length - 5) void loadMore();
    },
    [focusIndex, go, loadMore],
  );

  useShortcuts({
    enabled: !helpOpen && shortcuts,
    onKey: (key) => {
      const p = placeRef.current;
      switch (key) {
        case "j":
          moveFocus(1);
          return true;
        case "k":
          moveFocus(-1);
          return true;
        case "o":
        case "Enter": {
          const r = listStateRef.current.rows[focusIndex];
          if (r && !p.open) openRow(r);
          return !!r;
        }
        case "u":
          if (p.open) {
            go({ ...p, open: null });
            setTimeout(() => listRef.current?.focusRow(focusIndex), 0);
          }
          return true;
        case "x": {
          const r = listStateRef.current.rows[focusIndex];
          if (r && !p.open) setSelected((s) => toggle(s, r.id));
          return true;
        }
        case "/":
          searchRef.current?.focus();
          searchRef.current?.select();
          return true;
        case "?":
          setHelpOpen(true);
          return true;
        case "c":
          void openCompose();
          return true;
        case "r":
        case "a":
        case "f": {
          // Reply, reply all, forward: to the newest message of the open conversation, inline.
          const c = convRef.current?.data;
          if (!p.open || !c || c.messages.length === 0) return false;
          const m = c.messages[c.messages.length - 1];
          void openReply({ mailbox: m.mailbox, uid: m.uid, mode: key === "r" ? "reply" : key === "a" ? "replyAll" : "forward", inline: true }).catch((err) => failed(err, "Could not start the reply"));
          return true;
        }
        case "Escape":
          if (selected.size) setSelected(new Set());
          return true;
        case "g i":
          go({ ...INBOX_PLACE });
          return true;
        case "g s":
          go({ ...INBOX_PLACE, view: "starred" });
          return true;
        case "g t": {
          const sent = mailboxes.find((m) => m.role === "sent");
          if (sent) go({ ...INBOX_PLACE, mailbox: sent.path });
          return true;
        }
        case "g d": {
          const drafts = mailboxes.find((m) => m.role === "drafts");
          if (drafts) go({ ...INBOX_PLACE, mailbox: drafts.path });
          return true;
        }
      }
      const named: Record<string, Action> = { e: "archive", "#": "trash", s: "toggleStar", I: "read", U: "unread", "!": "spam" };
      const action = named[key];
      if (action) {
        const t = targetsForKey();
        if (t.conversation || t.rows.length) void act(action === "spam" && role === "junk" ? "notspam" : action, t.rows, { conversation: t.conversation });
        return true;
      }
      return false;
    },
  });

  // ---- render --------------------------------------------------------------------------------

  const selectedRows = useMemo(() => rows.filter((r) => selected.has(r.id)), [rows, selected]);
  const panes = paneClasses(readingPane, !!place.open);
  const title = place.view === "starred" ? "Starred" : (currentMailbox?.name ?? (place.mailbox === "INBOX" ? "Inbox" : place.mailbox));

  useEffect(() => {
    const unread = mailboxes.find((m) => m.role === "inbox")?.unseen ?? 0;
    document.title = `${title}${unread ? ` (${unread})` : ""} · Pigeon`;
  }, [title, mailboxes]);

  return (
    <div className="flex h-dvh flex-col">
      <header className="flex h-14 shrink-0 items-center gap-2 border-b border-slate-200 bg-white px-2 sm:px-4 dark:border-slate-800 dark:bg-slate-900">
        <button
          type="button"
          className="rounded-lg p-2 text-slate-600 hover:bg-slate-100 md:hidden dark:text-slate-300 dark:hover:bg-slate-800"
          aria-label="Folders"
          aria-expanded={railOpen}
          aria-controls="mail-rail"
          onClick={() => setRailOpen((v) => !v)}
        >
          <Icon name="menu" />
        </button>
        <Link href="/mail" className="flex items-center gap-2 pr-2 font-semibold" onClick={(e) => { e.preventDefault(); go({ ...INBOX_PLACE }); }}>
          {/* eslint-disable-next-line @next/next/no-img-element -- a tiny static SVG */}
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span className="hidden sm:inline">Pigeon</span>
        </Link>
        <form
          role="search"
          className="mx-auto flex w-full max-w-xl min-w-0 flex-1 items-center gap-2 rounded-lg bg-slate-100 px-3 dark:bg-slate-800"
          onSubmit={(e) => {
            e.preventDefault();
            const q = searchRef.current?.value.trim() ?? "";
            go({ ...placeRef.current, view: "mailbox", mailbox: placeRef.current.view === "starred" ? "INBOX" : placeRef.current.mailbox, q, open: null });
            searchRef.current?.blur();
          }}
        >
          <Icon name="search" className="size-4 shrink-0 text-slate-500" />
          <input
            ref={searchRef}
            type="search"
            name="q"
            key={place.q}
            defaultValue={place.q}
            placeholder={`Search ${place.view === "starred" ? "Inbox" : title}`}
            aria-label="Search mail"
            aria-keyshortcuts="/"
            className="h-10 w-full min-w-0 bg-transparent text-sm outline-none placeholder:text-slate-500"
          />
        </form>
        <nav aria-label="Account" className="flex items-center gap-1 text-sm">
          <span className="mr-1 hidden text-slate-500 lg:inline" data-testid="signed-in-as">
            {email}
          </span>
          <button
            type="button"
            className="hidden rounded-lg p-2 text-slate-600 hover:bg-slate-100 sm:inline-flex dark:text-slate-300 dark:hover:bg-slate-800"
            aria-label="Keyboard shortcuts"
            aria-keyshortcuts="?"
            onClick={() => setHelpOpen(true)}
          >
            <Icon name="keyboard" />
          </button>
          <Link href="/settings/devices" className="rounded-lg px-2 py-2 text-slate-700 hover:bg-slate-100 sm:px-3 dark:text-slate-300 dark:hover:bg-slate-800">
            Settings
          </Link>
          {signOut}
        </nav>
      </header>

      {offline ? (
        <div role="alert" className="flex items-center justify-center gap-3 bg-amber-100 px-4 py-2 text-sm text-amber-950 dark:bg-amber-900/60 dark:text-amber-100" data-testid="offline-banner">
          <span>{offline} Retrying…</span>
          <button
            type="button"
            className="rounded-md border border-amber-700/40 px-2 py-0.5 font-medium hover:bg-amber-200 dark:hover:bg-amber-800"
            onClick={async () => {
              if (await loadMailboxes()) {
                setOffline(null);
                void refreshTop();
                const c = convRef.current;
                if (c && !c.data) void loadConversation(c.id, placeRef.current.mailbox);
              }
            }}
          >
            Retry now
          </button>
        </div>
      ) : null}

      <div className="relative flex min-h-0 flex-1">
        <MailRail
          id="mail-rail"
          open={railOpen}
          onClose={() => setRailOpen(false)}
          mailboxes={mailboxes}
          place={place}
          onGo={(p) => go(p)}
          onChanged={async (next) => {
            await loadMailboxes();
            if (next) go(next);
          }}
        />
        <div className={panes.wrap}>
          <section aria-label={`${title} conversations`} className={panes.list}>
            <ConversationList
              handle={listRef}
              title={title}
              role={role}
              email={email}
              rows={rows}
              total={list.total}
              loading={list.loading}
              error={list.key === listKey(place) ? list.error : null}
              hasMore={!!list.nextCursor}
              autoLoad={list.emptyPages < 3}
              searching={!!place.q}
              query={place.q}
              selected={selected}
              selectedRows={selectedRows}
              focusIndex={focusIndex}
              openId={place.open}
              hydrated={hydrated}
              mailboxes={mailboxes}
              live={live}
              currentMailbox={place.view === "starred" ? null : place.mailbox}
              hrefOf={(id) => placeUrl({ ...place, open: id })}
              onFocusIndex={setFocusIndex}
              onOpen={openRow}
              onToggleSelect={(id) => setSelected((s) => toggle(s, id))}
              onSelectAll={(all) => setSelected(all ? new Set(rows.map((r) => r.id)) : new Set())}
              onAction={(a, target, destination) => void act(a, target, { destination })}
              onLoadMore={() => void loadMore()}
              onRefresh={() => {
                void refreshTop();
                void loadMailboxes();
              }}
              onRetry={() => void loadList(placeRef.current)}
              onClearSearch={() => go({ ...placeRef.current, q: "", open: null })}
            />
          </section>
          <section aria-label="Conversation" className={`${panes.conversation} bg-white dark:bg-slate-900`}>
            <ConversationPane
              state={conv}
              role={role}
              email={email}
              hydrated={hydrated}
              mailboxes={mailboxes}
              currentMailbox={place.mailbox}
              onBack={() => {
                go({ ...placeRef.current, open: null });
                setTimeout(() => listRef.current?.focusRow(focusIndex), 0);
              }}
              onRetry={() => conv && void loadConversation(conv.id, placeRef.current.mailbox)}
              onAction={(a, destination) => conv?.data && void act(a, [], { destination, conversation: conv.data })}
              onMessageChanged={(m) =>
                setConv((c) => (c && c.data ? { ...c, data: { ...c.data, messages: c.data.messages.map((x) => (x.mailbox === m.mailbox && x.uid === m.uid ? m : x)) } } : c))
              }
              onError={(err, what) => failed(err, what)}
            />
          </section>
        </div>
      </div>

      <div role="status" aria-live="polite" className="pointer-events-none fixed inset-x-0 bottom-4 flex justify-center px-4">
        {notice ? (
          <p className="pointer-events-auto rounded-lg bg-slate-900 px-4 py-2 text-sm text-white shadow-lg dark:bg-slate-100 dark:text-slate-900" data-testid="notice">
            {notice}
          </p>
        ) : null}
      </div>
      {helpOpen ? <HelpOverlay onClose={() => setHelpOpen(false)} /> : null}
      <ComposeDock />
    </div>
  );
}

function toggle(set: Set<string>, id: string): Set<string> {
  const next = new Set(set);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}
