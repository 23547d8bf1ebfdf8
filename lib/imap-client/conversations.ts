import type { ImapFlow, MailboxObject, SearchObject } from "imapflow";
import { AppError } from "../errors.ts";
import { knownMailboxes } from "./mailboxes.ts";
import { compactSet, fetchSummaries, fillSnippets, type Address, type MessageSummary } from "./summaries.ts";
import { openMailbox } from "./select.ts";

// The conversation list: one row per thread (RFC 8474 THREADID), newest first, one page at a
// time. A page is a window of the folder's newest messages below the cursor, fetched by sequence
// number (dense, so a window is one FETCH however sparse the UIDs are), grouped by thread. One
// SEARCH for the window's threads finds their other messages in the folder: the older ones count
// in the row (senders, unread, attachments), and a thread with a newer message was already shown
// on an earlier page, so it is left out here.
//
// Cursor: "m.<uidvalidity>.<uid>.<seq>": the next page holds messages with UIDs below <uid>;
// <seq> is where that UID was (a hint, checked, so that no command has to count the folder).

export interface MessageRef {
  mailbox: string;
  uid: number;
  seen: boolean;
  flagged: boolean;
}

export interface ConversationRow {
  /** THREADID, or "<mailbox>#<uid>" for a server without one. */
  id: string;
  threadId: string | null;
  /** Folder of the newest message. */
  mailbox: string;
  latestUid: number;
  subject: string;
  snippet: string;
  /** Distinct senders, oldest first. */
  senders: (Address & { unread: boolean })[];
  /** Recipients of the newest message (shown instead of senders in Sent and Drafts). */
  to: Address[];
  count: number;
  unread: boolean;
  starred: boolean;
  hasAttachments: boolean;
  draft: boolean;
  /** ISO date of the newest message. */
  date: string;
  /** Every message of the thread the row stands for (in this folder; in the Starred view, the starred ones). */
  refs: MessageRef[];
}

export interface ConversationPage {
  mailbox: string;
  /** Messages in the folder (or matching the search, or starred). */
  total: number;
  rows: ConversationRow[];
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
/** Other messages of a page's threads counted (UID, flags); beyond this, counts are partial. */
const MAX_THREAD_EXTRAS = 5000;
/** Of those, read in full per thread (for the senders): the newest few and the first. */
const FULL_PER_THREAD = 4;
/** Windows read for one page at most, when the first ones give few rows. */
const MAX_WINDOWS_PER_PAGE = 4;

interface MailboxCursor {
  uidValidity: string;
  uid: number;
  seq: number;
}

function parseMailboxCursor(cursor: string | null | undefined): MailboxCursor | null {
  const m = /^m\.(\d+)\.(\d+)\.(\d+)$/.exec(cursor ?? "");
  if (!m) return null;
  return { uidValidity: m[1], uid: Number(m[2]), seq: Number(m[3]) };
}

function threadKey(s: MessageSummary): string {
  return s.threadId ?? `${s.mailbox}#${s.uid}`;
}

function refOf(s: MessageSummary): MessageRef {
  return { mailbox: s.mailbox, uid: s.uid, seen: s.seen, flagged: s.flagged };
}

/**
 * A row from a thread's messages: `head` is the message the row shows, `members` are read in full
 * (senders, attachments), `light` are further members known only by UID and flags (counted, acted on).
 */
export function buildRow(head: MessageSummary, members: MessageSummary[], light: MessageRef[] = []): ConversationRow {
  const all = [...new Map([head, ...members].map((m) => [`${m.mailbox}#${m.uid}`, m])).values()].sort(
    (a, b) => a.date.getTime() - b.date.getTime() || a.uid - b.uid,
  );
  const senders = new Map<string, Address & { unread: boolean }>();
  for (const m of all) {
    for (const a of m.from.slice(0, 1)) {
      const key = a.address || a.name;
      const prev = senders.get(key);
      if (prev) senders.delete(key);
      senders.set(key, { ...a, name: a.name || prev?.name || "", unread: (prev?.unread ?? false) || !m.seen });
    }
  }
  const known = new Set(all.map((m) => `${m.mailbox}#${m.uid}`));
  const extra = light.filter((r) => !known.has(`${r.mailbox}#${r.uid}`));
  // With only-counted members the order is by UID (arrival in the folder); the head stays last.
  const refs = extra.length ? [...all.map(refOf), ...extra].sort((a, b) => (a.uid === head.uid ? 1 : b.uid === head.uid ? -1 : a.uid - b.uid)) : all.map(refOf);
  return {
    id: threadKey(head),
    threadId: head.threadId,
    mailbox: head.mailbox,
    latestUid: head.uid,
    subject: head.subject || all.find((m) => m.subject)?.subject || "",
    snippet: head.snippet,
    senders: [...senders.values()].slice(-6),
    to: head.to,
    count: refs.length,
    unread: refs.some((r) => !r.seen),
    starred: refs.some((r) => r.flagged),
    hasAttachments: all.some((m) => m.hasAttachments),
    draft: all.some((m) => m.draft),
    date: head.date.toISOString(),
    refs,
  };
}

function threadSearch(threadIds: string[]): SearchObject {
  return threadIds.length === 1 ? { threadId: threadIds[0] } : { or: threadIds.map((threadId) => ({ threadId })) };
}

/** The window of messages below the cursor, newest first, with the sequence number it started at. */
async function mailboxWindow(client: ImapFlow, box: MailboxObject, cursor: MailboxCursor | null, size: number): Promise<{ messages: MessageSummary[]; lowSeq: number }> {
  if (box.exists === 0) return { messages: [], lowSeq: 1 };
  let hi = cursor ? Math.min(cursor.seq, box.exists) : box.exists;
  for (let attempt = 0; ; attempt++) {
    if (hi < 1) return { messages: [], lowSeq: 1 };
    const lo = Math.max(1, hi - size + 1);
    // One past the window checks the hint: the message after it must be at or above the cursor.
    const top = cursor && hi < box.exists ? hi + 1 : hi;
    let messages = await fetchSummaries(client, `${lo}:${top}`, { uid: false });
    if (cursor) {
      const after = messages.find((m) => m.seq === hi + 1);
      const stale = (after && after.uid < cursor.uid) || (lo > 1 && messages.every((m) => m.uid >= cursor.uid));
      if (stale && attempt === 0) {
        // Messages were expunged (or the hint is wrong): count what lies below the cursor.
        const r = await client.search({ uid: `1:${Math.max(1, cursor.uid - 1)}` }, { uid: true, returnOptions: ["COUNT"] });
        hi = cursor.uid > 1 && r && !Array.isArray(r) ? (r.count ?? 0) : 0;
        continue;
      }
      messages = messages.filter((m) => m.uid < cursor.uid);
    }
    messages.sort((a, b) => b.uid - a.uid);
    return { messages, lowSeq: lo };
  }
}

/**
 * Groups a window into rows. One SEARCH finds the other messages of its threads in this folder;
 * a light FETCH (UID FLAGS THREADID) says which thread each belongs to, so that every one is
 * counted and acted on; a few per thread (the newest older ones and the first) are read in full
 * for the senders. A thread with a message newer than the window was shown on an earlier page
 * and is left out.
 */
function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

async function rowsForWindow(
  client: ImapFlow,
  window: MessageSummary[],
  opts: { dropIfNewerThan: number | null; listed?: Set<number> },
): Promise<ConversationRow[]> {
  const heads = new Map<string, MessageSummary>();
  const members = new Map<string, MessageSummary[]>();
  const light = new Map<string, MessageRef[]>();
  for (const m of window) {
    const key = threadKey(m);
    if (!heads.has(key)) heads.set(key, m);
    push(members, key, m);
  }
  const threadIds = [...new Set(window.map((m) => m.threadId).filter((t): t is string => !!t))];
  if (threadIds.length > 0) {
    const found = await client.search(threadSearch(threadIds), { uid: true });
    const inWindow = new Set(window.map((m) => m.uid));
    const extra = (Array.isArray(found) ? found : []).filter((uid) => !inWindow.has(uid)).sort((a, b) => b - a).slice(0, MAX_THREAD_EXTRAS);
    if (extra.length > 0) {
      const mailbox = window[0].mailbox;
      const rows = await client.fetchAll(compactSet(extra), { uid: true, flags: true, threadId: true }, { uid: true });
      const full: number[] = [];
      const perThread = new Map<string, number[]>();
      for (const m of rows.sort((a, b) => b.uid - a.uid)) {
        const key = m.threadId ?? `${mailbox}#${m.uid}`;
        if (opts.dropIfNewerThan !== null && m.uid > opts.dropIfNewerThan) {
          // Shown on an earlier page (in a search: only if that newer message matched too).
          if (!opts.listed || opts.listed.has(m.uid)) heads.delete(key);
          continue;
        }
        const flags = m.flags ?? new Set<string>();
        push(light, key, { mailbox, uid: m.uid, seen: flags.has("\\Seen"), flagged: flags.has("\\Flagged") });
        push(perThread, key, m.uid);
      }
      for (const [key, uids] of perThread) {
        if (!heads.has(key)) continue;
        full.push(...uids.slice(0, FULL_PER_THREAD - 1));
        if (uids.length >= FULL_PER_THREAD) full.push(uids[uids.length - 1]);
      }
      for (const m of await fetchSummaries(client, full, { uid: true })) members.get(threadKey(m))?.push(m);
    }
  }
  const shown = [...heads.values()];
  await fillSnippets(client, shown);
  return shown.map((head) => buildRow(head, members.get(threadKey(head)) ?? [], light.get(threadKey(head)) ?? []));
}

/** One page of a folder's conversations (or of those matching `query`, full-text). */
export async function listConversations(
  client: ImapFlow,
  input: { mailbox: string; cursor?: string | null; limit?: number; query?: string | null },
): Promise<ConversationPage> {
  const limit = Math.min(Math.max(input.limit ?? DEFAULT_PAGE_SIZE, 1), 200);
  const lock = await openMailbox(client, input.mailbox);
  try {
    const box = client.mailbox as MailboxObject;
    const uidValidity = String(box.uidValidity);
    let cursor = parseMailboxCursor(input.cursor);
    if (cursor && cursor.uidValidity !== uidValidity) cursor = null;

    if (input.query) {
      const found = await client.search({ text: input.query }, { uid: true });
      const uids = Array.isArray(found) ? found : [];
      const below = cursor ? uids.filter((u) => u < cursor!.uid) : uids;
      const pick = below.slice(-limit);
      const window = (await fetchSummaries(client, pick, { uid: true })).sort((a, b) => b.uid - a.uid);
      const rows = await rowsForWindow(client, window, { dropIfNewerThan: cursor && pick.length ? Math.max(...pick) : null, listed: new Set(uids) });
      const last = pick[0];
      return {
        mailbox: box.path,
        total: uids.length,
        rows,
        nextCursor: below.length > pick.length && last ? `m.${uidValidity}.${last}.0` : null,
      };
    }

    // A window whose threads all have newer messages (shown on earlier pages) gives few rows; take
    // further windows, a bounded number, so that a page is rarely empty while more mail follows.
    const rows: ConversationRow[] = [];
    let next: MailboxCursor | null = cursor;
    let more = true;
    for (let windows = 0; more && windows < MAX_WINDOWS_PER_PAGE && rows.length < Math.ceil(limit / 2); windows++) {
      const { messages, lowSeq } = await mailboxWindow(client, box, next, limit - rows.length);
      const fresh = await rowsForWindow(client, messages, { dropIfNewerThan: next && messages.length ? messages[0].uid : null });
      const seen = new Set(rows.map((r) => r.id));
      rows.push(...fresh.filter((r) => !seen.has(r.id)));
      const oldest = messages[messages.length - 1];
      more = !!oldest && lowSeq > 1;
      next = more ? { uidValidity, uid: oldest.uid, seq: lowSeq - 1 } : null;
    }
    return {
      mailbox: box.path,
      total: box.exists,
      rows,
      nextCursor: next ? `m.${next.uidValidity}.${next.uid}.${next.seq}` : null,
    };
  } finally {
    lock.release();
  }
}

/**
 * The Starred view: \Flagged messages of every folder but Trash and Junk, newest first, one row per
 * thread. The flagged set is gathered afresh per page (SEARCH FLAGGED per folder), which suits its
 * size: stars are few. Cursor: "s.<offset>".
 */
export async function listStarred(client: ImapFlow, input: { cursor?: string | null; limit?: number }): Promise<ConversationPage> {
  const limit = Math.min(Math.max(input.limit ?? DEFAULT_PAGE_SIZE, 1), 200);
  const offset = Number(/^s\.(\d+)$/.exec(input.cursor ?? "")?.[1] ?? 0);
  const folders = (await knownMailboxes(client)).filter((m) => m.selectable && m.role !== "trash" && m.role !== "junk");
  const flagged: MessageSummary[] = [];
  for (const f of folders) {
    if (f.messages === 0) continue;
    const lock = await openMailbox(client, f.path);
    try {
      const uids = await client.search({ flagged: true }, { uid: true });
      if (Array.isArray(uids) && uids.length) flagged.push(...(await fetchSummaries(client, uids, { uid: true })));
    } finally {
      lock.release();
    }
  }
  flagged.sort((a, b) => b.date.getTime() - a.date.getTime() || b.uid - a.uid);
  const groups = new Map<string, MessageSummary[]>();
  for (const m of flagged) push(groups, threadKey(m), m);
  const page = [...groups.values()].slice(offset, offset + limit);
  // Previews, folder by folder (a FETCH needs its folder selected).
  const heads = page.map((g) => g[0]);
  const byFolder = new Map<string, MessageSummary[]>();
  for (const h of heads) push(byFolder, h.mailbox, h);
  for (const [path, list] of byFolder) {
    const lock = await openMailbox(client, path);
    try {
      await fillSnippets(client, list);
    } finally {
      lock.release();
    }
  }
  return {
    mailbox: "",
    total: flagged.length,
    rows: page.map((g) => buildRow(g[0], g)),
    nextCursor: offset + limit < groups.size ? `s.${offset + limit}` : null,
  };
}

export function assertCursor(cursor: string | null | undefined): void {
  if (cursor && !/^(m\.\d+\.\d+\.\d+|s\.\d+)$/.test(cursor)) throw new AppError("INVALID", "That page cursor is not valid.");
}


