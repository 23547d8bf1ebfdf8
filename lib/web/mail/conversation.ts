import type { ImapFlow } from "imapflow";
import { AppError } from "../../errors.ts";
import { knownMailboxes, mailboxOrThrow } from "../../imap-client/mailboxes.ts";
import { withImap, type ImapIdentity } from "../../imap-client/pool.ts";
import type { Address } from "../../imap-client/summaries.ts";
import { readThreadInSelected, searchThread, type ThreadMessageContent } from "../../imap-client/thread.ts";
import { getMailSettings } from "./compose/settings.ts";
import { listImageSenders } from "./image-senders.ts";
import { mailFrameDocument, sanitizeMailHtml } from "./sanitize.ts";
import { openMailbox } from "../../imap-client/select.ts";

// A conversation as the reader sees it: every message of the thread from every folder but Trash
// and Junk (those two only when the conversation is opened from them), oldest first, each with
// its body made safe to show. The folder the conversation was opened from is searched on the
// session's main connection (it is usually selected there already); the others on its second one,
// at the same time.

export type MessageBody =
  | { kind: "html"; srcdoc: string; remoteBlocked: number; imagesShown: boolean; heightHint: number }
  | { kind: "text"; text: string }
  | { kind: "empty" }
  /** Not sent with the conversation (an older, read message of a long thread): ask /api/mail/message. */
  | { kind: "deferred" };

export interface MessageView {
  mailbox: string;
  uid: number;
  emailId: string | null;
  messageId: string | null;
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  replyTo: Address[];
  date: string;
  size: number;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  draft: boolean;
  snippet: string;
  body: MessageBody;
  truncated: boolean;
  attachments: { part: string; filename: string; mimeType: string; size: number }[];
}

export interface ConversationView {
  id: string;
  threadId: string | null;
  subject: string;
  /** Folder the conversation was opened from. */
  mailbox: string;
  messages: MessageView[];
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A message's bodies as one thing to show: HTML when any part is HTML, else plain text. */
export function renderBody(content: ThreadMessageContent, allowRemote: boolean): MessageBody {
  if (content.deferred) return { kind: "deferred" };
  const { bodies } = content;
  if (bodies.length === 0) return { kind: "empty" };
  if (!bodies.some((b) => b.kind === "html")) return { kind: "text", text: bodies.map((b) => b.content).join("\n\n") };
  const html = bodies.map((b) => (b.kind === "html" ? b.content : `<pre>${escapeHtml(b.content)}</pre>`)).join("<hr>");
  const clean = sanitizeMailHtml(html, { allowRemote, inlineImages: content.inlineImages });
  return {
    kind: "html",
    srcdoc: mailFrameDocument(clean.html, allowRemote),
    remoteBlocked: clean.remoteBlocked,
    imagesShown: allowRemote,
    heightHint: estimateHeight(clean.html),
  };
}

/**
 * Roughly how tall the HTML renders (px). The viewer is sandboxed without scripts or same origin,
 * so the page cannot measure it; it starts at this height and the reader can resize it.
 */
export function estimateHeight(html: string): number {
  const text = html.replace(/<style[\s\S]*?<\/style>/gi, "").replace(/<[^>]+>/g, "").replace(/\s+/g, " ");
  const blocks = (html.match(/<(br|p|div|tr|li|h[1-6]|table|blockquote|hr)\b/gi) ?? []).length;
  const images = (html.match(/<img\b/gi) ?? []).length;
  const estimate = 40 + Math.ceil(text.length / 90) * 21 + blocks * 6 + images * 120;
  return Math.max(120, Math.min(1600, estimate));
}

export function toMessageView(content: ThreadMessageContent, allowRemote: boolean): MessageView {
  const s = content.summary;
  return {
    mailbox: s.mailbox,
    uid: s.uid,
    emailId: content.emailId,
    messageId: s.messageId,
    subject: s.subject,
    from: s.from,
    to: s.to,
    cc: s.cc,
    bcc: content.bcc,
    replyTo: content.replyTo,
    date: s.date.toISOString(),
    size: s.size,
    seen: s.seen,
    flagged: s.flagged,
    answered: s.answered,
    draft: s.draft,
    snippet: s.snippet,
    body: renderBody(content, allowRemote),
    truncated: content.bodies.some((b) => b.truncated),
    attachments: content.attachments.map((a) => ({
      part: a.section,
      filename: a.filename,
      mimeType: `${a.type}/${a.subtype}`,
      // BODYSTRUCTURE gives the encoded size; base64 carries 57 bytes per 78-byte line.
      size: a.encoding === "base64" ? Math.round((a.size * 57) / 78) : a.size,
    })),
  };
}

/** Messages of a long thread whose bodies come with it: the unread ones, and the newest few per folder. */
const BODIES_PER_FOLDER = 20;
const withBody = (s: { seen: boolean }, newestFirstIndex: number) => !s.seen || newestFirstIndex < BODIES_PER_FOLDER;

async function readFolders(client: ImapFlow, folders: string[], threadId: string): Promise<ThreadMessageContent[]> {
  const out: ThreadMessageContent[] = [];
  for (const path of folders) {
    const lock = await openMailbox(client, path);
    try {
      const uids = await searchThread(client, threadId);
      out.push(...(await readThreadInSelected(client, uids, { withBody })));
    } finally {
      lock.release();
    }
  }
  return out;
}

async function readOne(client: ImapFlow, mailbox: string, uid: number): Promise<ThreadMessageContent | null> {
  const lock = await openMailbox(client, mailbox);
  try {
    const [content] = await readThreadInSelected(client, [uid]);
    return content ?? null;
  } finally {
    lock.release();
  }
}

function allowRemoteFor(content: ThreadMessageContent, trusted: Set<string>): boolean {
  return content.summary.from.some((a) => a.address && trusted.has(a.address));
}

/** Opens the conversation `id` (a THREADID, or "<folder>#<uid>") as seen from `mailbox`. */
export async function openConversation(identity: ImapIdentity, input: { id: string; mailbox: string }): Promise<ConversationView> {
  const single = /^(.+)#(\d+)$/.exec(input.id);
  let contents: ThreadMessageContent[];
  if (single) {
    const one = await withImap(identity, (c) => readOne(c, single[1], Number(single[2])));
    contents = one ? [one] : [];
  } else {
    const { folders, context } = await withImap(identity, async (c) => ({
      context: await mailboxOrThrow(c, input.mailbox),
      folders: await knownMailboxes(c),
    }));
    const others = folders.filter((f) => f.selectable && f.path !== context.path && f.role !== "trash" && f.role !== "junk").map((f) => f.path);
    const [here, elsewhere] = await Promise.all([
      withImap(identity, (c) => readFolders(c, [context.path], input.id), { lane: "main" }),
      withImap(identity, (c) => readFolders(c, others, input.id), { lane: "aux" }),
    ]);
    // The same message filed in two folders (a copy) shows once, as the copy here.
    const seen = new Set<string>();
    contents = [];
    for (const c of [...here, ...elsewhere]) {
      const key = c.emailId ?? `${c.summary.mailbox}#${c.summary.uid}`;
      if (seen.has(key)) continue;
      seen.add(key);
      contents.push(c);
    }
  }
  if (contents.length === 0) throw new AppError("NOT_FOUND", "That conversation is not here any more.");
  contents.sort((a, b) => a.summary.date.getTime() - b.summary.date.getTime() || a.summary.uid - b.summary.uid);
  const [trusted, prefs] = await Promise.all([listImageSenders({ userId: identity.userId }), getMailSettings({ userId: identity.userId })]);
  // Settings → Preferences: remote images always, never, or (ask) for the senders the reader trusts.
  const allow = (c: ThreadMessageContent) => prefs.remoteImages === "always" || (prefs.remoteImages === "ask" && allowRemoteFor(c, trusted));
  const messages = contents.map((c) => toMessageView(c, allow(c)));
  return {
    id: input.id,
    threadId: single ? null : input.id,
    subject: messages.find((m) => m.subject)?.subject ?? "",
    mailbox: input.mailbox,
    messages,
  };
}

/** One message, with remote images shown when `showImages` (or its sender is trusted). */
export async function openMessage(identity: ImapIdentity, input: { mailbox: string; uid: number; showImages: boolean }): Promise<MessageView> {
  const content = await withImap(identity, (c) => readOne(c, input.mailbox, input.uid));
  if (!content) throw new AppError("NOT_FOUND", "That message is not here any more.");
  if (input.showImages) return toMessageView(content, true);
  const [trusted, prefs] = await Promise.all([listImageSenders({ userId: identity.userId }), getMailSettings({ userId: identity.userId })]);
  return toMessageView(content, prefs.remoteImages === "always" || (prefs.remoteImages === "ask" && allowRemoteFor(content, trusted)));
}
