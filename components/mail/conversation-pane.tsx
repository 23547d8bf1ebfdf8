"use client";

import { useEffect, useRef, useState } from "react";
import type { MailboxRole, MailboxSummary } from "@/lib/imap-client/mailboxes";
import type { ConversationView, MessageView } from "@/lib/web/mail/conversation";
import { linkify } from "@/lib/web/mail/linkify";
import type { Action } from "./actions";
import { api } from "./api";
import { MoveSelect, ToolbarButton } from "./conversation-list";
import { addressList, displayName, formatSize, longDate, shortDate } from "./format";
import { Icon } from "./icons";
import { ConversationReply } from "./compose/compose-dock";

// The open conversation: every message of the thread, older ones folded to one line (unread ones
// and the newest open), each with sender, recipients and date. HTML bodies arrive sanitized and
// are shown in a sandboxed iframe (no scripts, no same origin) whose document carries a strict
// CSP; remote images stay blocked until the reader asks for them. Plain text is shown as text,
// links made clickable by linkify (React elements, never HTML).

interface Props {
  state: { id: string; data: ConversationView | null; loading: boolean; error: string | null } | null;
  role: MailboxRole;
  email: string;
  hydrated: boolean;
  mailboxes: MailboxSummary[];
  currentMailbox: string;
  onBack: () => void;
  onRetry: () => void;
  onAction: (action: Action, destination?: string) => void;
  onMessageChanged: (m: MessageView) => void;
  onError: (err: unknown, what: string) => void;
}

export function ConversationPane(props: Props) {
  const { state } = props;
  const headingRef = useRef<HTMLHeadingElement>(null);
  const data = state?.data ?? null;

  useEffect(() => {
    // Keyboard and screen-reader users land on the conversation they opened.
    if (data && state?.id === data.id) headingRef.current?.focus({ preventScroll: true });
  }, [data?.id]); // eslint-disable-line react-hooks/exhaustive-deps

  if (!state) {
    return (
      <div className="flex flex-1 items-center justify-center p-8 text-center text-sm text-slate-500">
        <div>
          <Icon name="mail" className="mx-auto mb-3 size-10 text-slate-300 dark:text-slate-700" />
          <p>No conversation selected.</p>
          <p className="mt-1 text-xs">
            Press <kbd className="rounded border px-1">?</kbd> for keyboard shortcuts.
          </p>
        </div>
      </div>
    );
  }

  const starred = !!data?.messages.some((m) => m.flagged);
  const inTrash = props.role === "trash";
  const inJunk = props.role === "junk";

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="flex h-12 shrink-0 items-center gap-1 border-b border-slate-200 px-2 dark:border-slate-800" role="toolbar" aria-label="Conversation actions">
        <ToolbarButton label="Back to the list" icon="back" shortcut="u" onClick={props.onBack} />
        {data ? (
          <>
            {props.role !== "archive" && !inTrash ? <ToolbarButton label="Archive" icon="archive" shortcut="e" onClick={() => props.onAction("archive")} /> : null}
            <ToolbarButton label={inTrash || inJunk ? "Delete forever" : "Delete"} icon="trash" shortcut="#" onClick={() => props.onAction("trash")} />
            {inJunk ? (
              <ToolbarButton label="Not spam" icon="notSpam" shortcut="!" onClick={() => props.onAction("notspam")} />
            ) : (
              <ToolbarButton label="Report spam" icon="junk" shortcut="!" onClick={() => props.onAction("spam")} />
            )}
            <ToolbarButton label="Mark as unread" icon="mail" shortcut="Shift+U" onClick={() => props.onAction("unread")} />
            <ToolbarButton label={starred ? "Remove star" : "Star"} icon="star" shortcut="s" onClick={() => props.onAction(starred ? "unstar" : "star")} />
            <MoveSelect mailboxes={props.mailboxes} exclude={props.currentMailbox} onMove={(path) => props.onAction("move", path)} />
          </>
        ) : null}
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto px-3 py-4 sm:px-6" data-testid="conversation">
        {!data ? (
          state.error ? (
            <div role="alert" className="flex flex-col items-center gap-3 p-8 text-center text-sm text-slate-600 dark:text-slate-300">
              <p>{state.error}</p>
              <button type="button" onClick={props.onRetry} className="rounded-lg border border-slate-300 px-3 py-1.5 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
                Try again
              </button>
            </div>
          ) : (
            <p className="p-8 text-center text-sm text-slate-500" aria-live="polite">
              Loading conversation…
            </p>
          )
        ) : (
          <article aria-labelledby="conversation-subject">
            <h2 id="conversation-subject" ref={headingRef} tabIndex={-1} className="mb-4 text-xl font-semibold break-words outline-none">
              {data.subject || "(no subject)"}
              {data.messages.length > 1 ? <span className="ml-2 text-sm font-normal text-slate-500">{data.messages.length} messages</span> : null}
            </h2>
            {state.error ? (
              <p role="alert" className="mb-3 rounded-lg bg-amber-100 px-3 py-2 text-sm text-amber-950 dark:bg-amber-900/50 dark:text-amber-100">
                {state.error}
              </p>
            ) : null}
            <Messages key={data.id} data={data} {...props} />
          </article>
        )}
      </div>
    </div>
  );
}

function Messages({ data, email, hydrated, onMessageChanged, onError }: Props & { data: ConversationView }) {
  const last = data.messages.length - 1;
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set(data.messages.filter((m, i) => i === last || !m.seen).map(keyOf)));
  const [showAll, setShowAll] = useState(data.messages.length <= 4);
  const toggle = (m: MessageView) =>
    setExpanded((s) => {
      const n = new Set(s);
      if (n.has(keyOf(m))) n.delete(keyOf(m));
      else n.add(keyOf(m));
      return n;
    });
  // Long threads fold the middle, as Gmail does: first, "N older", then the last few.
  const hidden = showAll ? [] : data.messages.slice(1, Math.max(1, last - 2)).filter((m) => !expanded.has(keyOf(m)));
  return (
    <>
      <ol className="flex flex-col gap-2">
        {data.messages.map((m, i) => {
          if (hidden.includes(m)) {
            return i === 1 ? (
              <li key="more">
                <button type="button" className="w-full rounded-lg border border-dashed border-slate-300 py-2 text-sm text-slate-600 hover:bg-slate-50 dark:border-slate-700 dark:text-slate-300 dark:hover:bg-slate-800" onClick={() => setShowAll(true)}>
                  {hidden.length} older {hidden.length === 1 ? "message" : "messages"}
                </button>
              </li>
            ) : null;
          }
          return (
            <li key={keyOf(m)}>
              <MessageCard message={m} email={email} hydrated={hydrated} expanded={expanded.has(keyOf(m))} onToggle={() => toggle(m)} onChanged={onMessageChanged} onError={onError} />
            </li>
          );
        })}
      </ol>
      {/* Reply, reply all, forward — and the reply being written, inline (issue 8). */}
      <div className="mt-4">
        <ConversationReply key={keyOf(data.messages[last])} mailbox={data.messages[last].mailbox} uid={data.messages[last].uid} />
      </div>
    </>
  );
}

const keyOf = (m: MessageView) => `${m.mailbox}#${m.uid}`;

function MessageCard({
  message: m,
  email,
  hydrated,
  expanded,
  onToggle,
  onChanged,
  onError,
}: {
  message: MessageView;
  email: string;
  hydrated: boolean;
  expanded: boolean;
  onToggle: () => void;
  onChanged: (m: MessageView) => void;
  onError: (err: unknown, what: string) => void;
}) {
  const from = m.from[0];
  const sender = from ? displayName(from, email) : "(no sender)";
  const headerId = `msg-${m.mailbox}-${m.uid}`.replace(/[^a-zA-Z0-9_-]/g, "_");
  if (!expanded) {
    return (
      <button
        type="button"
        onClick={onToggle}
        aria-expanded={false}
        className="flex w-full items-baseline gap-3 rounded-lg border border-slate-200 bg-white px-4 py-2.5 text-left text-sm hover:bg-slate-50 dark:border-slate-800 dark:bg-slate-900 dark:hover:bg-slate-800"
        data-testid="message-collapsed"
      >
        <span className={`w-40 shrink-0 truncate ${m.seen ? "" : "font-bold"}`}>{sender}</span>
        <span className="min-w-0 flex-1 truncate text-slate-500">{m.snippet}</span>
        <time dateTime={m.date} className="shrink-0 text-xs text-slate-500">
          {shortDate(m.date, hydrated)}
        </time>
      </button>
    );
  }

  const showImages = async (always: boolean) => {
    try {
      if (always && from?.address) await api("/api/mail/image-senders", { method: "POST", json: { address: from.address } });
      const r = await api<{ message: MessageView }>(`/api/mail/message?mailbox=${encodeURIComponent(m.mailbox)}&uid=${m.uid}&images=1`);
      onChanged({ ...r.message, seen: m.seen, flagged: m.flagged });
    } catch (err) {
      onError(err, "Images could not be shown");
    }
  };
  const loadBody = async () => {
    try {
      const r = await api<{ message: MessageView }>(`/api/mail/message?mailbox=${encodeURIComponent(m.mailbox)}&uid=${m.uid}`);
      onChanged({ ...r.message, seen: m.seen, flagged: m.flagged });
    } catch (err) {
      onError(err, "The message could not be opened");
    }
  };

  return (
    <section aria-labelledby={headerId} className="rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900" data-testid="message">
      <header className="flex items-start gap-3 px-4 pt-3 pb-2">
        <div className="flex size-9 shrink-0 items-center justify-center rounded-full bg-brand-100 text-sm font-semibold text-brand-700 uppercase dark:bg-slate-700 dark:text-slate-100" aria-hidden="true">
          {(sender[0] ?? "?").replace(/[^\p{L}\p{N}]/u, "?")}
        </div>
        <div className="min-w-0 flex-1">
          <button type="button" onClick={onToggle} aria-expanded={true} className="block w-full truncate text-left" id={headerId}>
            <span className="font-semibold">{sender}</span>
            {from?.address && from.name ? <span className="ml-1 text-xs text-slate-500">&lt;{from.address}&gt;</span> : null}
          </button>
          <dl className="mt-0.5 grid grid-cols-[auto_1fr] gap-x-2 text-xs text-slate-600 dark:text-slate-400">
            {m.to.length ? (
              <>
                <dt>To</dt>
                <dd className="break-words">{addressList(m.to, email)}</dd>
              </>
            ) : null}
            {m.cc.length ? (
              <>
                <dt>Cc</dt>
                <dd className="break-words">{addressList(m.cc, email)}</dd>
              </>
            ) : null}
            {m.bcc.length ? (
              <>
                <dt>Bcc</dt>
                <dd className="break-words">{addressList(m.bcc, email)}</dd>
              </>
            ) : null}
            {m.mailbox ? (
              <>
                <dt className="sr-only">Folder</dt>
                <dd className="col-span-2 sr-only">{m.mailbox}</dd>
              </>
            ) : null}
          </dl>
        </div>
        <div className="flex shrink-0 items-center gap-1 text-xs text-slate-500">
          {m.flagged ? <Icon name="star" className="size-4 text-amber-500" filled /> : null}
          <time dateTime={m.date}>{longDate(m.date, hydrated)}</time>
        </div>
      </header>
      {m.body.kind === "html" && m.body.remoteBlocked > 0 && !m.body.imagesShown ? (
        <div className="mx-4 mb-2 flex flex-wrap items-center gap-x-3 gap-y-1 rounded-lg bg-slate-100 px-3 py-2 text-xs text-slate-700 dark:bg-slate-800 dark:text-slate-300" data-testid="images-blocked">
          <Icon name="image" className="size-4" />
          <span>Images and other remote content are hidden.</span>
          <button type="button" className="font-semibold text-brand-700 hover:underline dark:text-brand-100" onClick={() => void showImages(false)}>
            Show images
          </button>
          {from?.address ? (
            <button type="button" className="font-semibold text-brand-700 hover:underline dark:text-brand-100" onClick={() => void showImages(true)}>
              Always show images from {from.address}
            </button>
          ) : null}
        </div>
      ) : null}
      <div className="px-4 pb-4">
        <Body message={m} onLoad={() => void loadBody()} />
        {m.truncated ? <p className="mt-2 text-xs text-slate-500">This message is long; only its beginning is shown.</p> : null}
        {m.attachments.length ? <Attachments message={m} /> : null}
      </div>
    </section>
  );
}

function Body({ message: m, onLoad }: { message: MessageView; onLoad: () => void }) {
  const height = m.body.kind === "html" ? m.body.heightHint : 0;
  const deferred = m.body.kind === "deferred";
  useEffect(() => {
    if (deferred) onLoad();
  }, [deferred]); // eslint-disable-line react-hooks/exhaustive-deps
  if (m.body.kind === "deferred") return <p className="text-sm text-slate-500" aria-live="polite">Loading…</p>;
  if (m.body.kind === "empty") return <p className="text-sm text-slate-500 italic">(This message has no text.)</p>;
  if (m.body.kind === "text") return <PlainText text={m.body.text} />;
  return (
    <div className="overflow-hidden rounded-md border border-slate-100 bg-white dark:border-slate-700" style={{ resize: "vertical", height, minHeight: 80 }} data-testid="html-body">
      <iframe
        // No allow-scripts, no allow-same-origin: the mail's document runs nothing and can reach
        // nothing of the app. allow-popups(-to-escape-sandbox) lets its links open in a new tab.
        sandbox="allow-popups allow-popups-to-escape-sandbox"
        srcDoc={m.body.srcdoc}
        title={`Message from ${m.from[0] ? displayName(m.from[0]) : "unknown sender"}`}
        referrerPolicy="no-referrer"
        loading="lazy"
        className="block size-full border-0 bg-white"
      />
    </div>
  );
}

export function PlainText({ text }: { text: string }) {
  const pieces = linkify(text.replace(/\r\n/g, "\n").replace(/\n+$/, ""));
  return (
    <div className="text-sm leading-relaxed break-words whitespace-pre-wrap" data-testid="text-body">
      {pieces.map((p, i) =>
        p.kind === "text" ? (
          <span key={i}>{p.text}</span>
        ) : (
          <a key={i} href={p.href} target="_blank" rel="noopener noreferrer nofollow" className="text-brand-700 underline dark:text-brand-100">
            {p.text}
          </a>
        ),
      )}
    </div>
  );
}

function Attachments({ message: m }: { message: MessageView }) {
  return (
    <div className="mt-4 border-t border-slate-100 pt-3 dark:border-slate-800">
      <h3 className="mb-2 text-xs font-semibold text-slate-500">
        {m.attachments.length} {m.attachments.length === 1 ? "attachment" : "attachments"}
      </h3>
      <ul className="flex flex-wrap gap-2">
        {m.attachments.map((a) => (
          <li key={a.part}>
            <a
              href={`/api/mail/attachment?mailbox=${encodeURIComponent(m.mailbox)}&uid=${m.uid}&part=${encodeURIComponent(a.part)}`}
              download={a.filename}
              className="flex max-w-64 items-center gap-2 rounded-lg border border-slate-200 px-3 py-2 text-sm hover:bg-slate-50 dark:border-slate-700 dark:hover:bg-slate-800"
              data-testid="attachment"
            >
              <Icon name="paperclip" className="size-4 shrink-0 text-slate-500" />
              <span className="min-w-0">
                <span className="block truncate font-medium">{a.filename}</span>
                <span className="block text-xs text-slate-500">
                  {a.mimeType} · {formatSize(a.size)}
                </span>
              </span>
              <Icon name="download" className="size-4 shrink-0 text-slate-500" />
              <span className="sr-only">Download</span>
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}
