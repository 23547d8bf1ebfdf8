"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useEffect, useImperativeHandle, useRef, type RefObject } from "react";
import type { ConversationRow } from "@/lib/imap-client/conversations";
import type { MailboxRole, MailboxSummary } from "@/lib/imap-client/mailboxes";
import type { Action } from "./actions";
import { addressList, sendersLabel, shortDate } from "./format";
import { Icon } from "./icons";

// The conversation list: a toolbar (select all, bulk actions, refresh) over a virtualized list —
// only the rows in view are in the DOM, so a folder of 100,000 messages scrolls like one of 50 —
// that asks for the next page (cursor) as the reader nears the end of what is loaded.

export const ROW_HEIGHT = 68;

interface Props {
  handle: RefObject<{ focusRow(index: number): void } | null>;
  title: string;
  role: MailboxRole;
  email: string;
  rows: ConversationRow[];
  total: number;
  loading: boolean;
  error: string | null;
  hasMore: boolean;
  /** Load the next page when the reader nears the end (off after pages that added nothing). */
  autoLoad: boolean;
  searching: boolean;
  query: string;
  selected: Set<string>;
  selectedRows: ConversationRow[];
  focusIndex: number;
  openId: string | null;
  hydrated: boolean;
  mailboxes: MailboxSummary[];
  live: "connecting" | "live" | "paused";
  /** The folder shown, or null for the Starred view. */
  currentMailbox: string | null;
  hrefOf: (id: string) => string;
  onFocusIndex: (i: number) => void;
  onOpen: (row: ConversationRow) => void;
  onToggleSelect: (id: string) => void;
  onSelectAll: (all: boolean) => void;
  onAction: (action: Action, rows: ConversationRow[], destination?: string) => void;
  onLoadMore: () => void;
  onRefresh: () => void;
  onRetry: () => void;
  onClearSearch: () => void;
}

export function ToolbarButton({ label, icon, onClick, shortcut }: { label: string; icon: Parameters<typeof Icon>[0]["name"]; onClick: () => void; shortcut?: string }) {
  return (
    <button
      type="button"
      title={shortcut ? `${label} (${shortcut})` : label}
      aria-label={label}
      aria-keyshortcuts={shortcut}
      onClick={onClick}
      className="rounded-lg p-2 text-slate-600 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-brand-500 dark:text-slate-300 dark:hover:bg-slate-800"
    >
      <Icon name={icon} />
    </button>
  );
}

export function MoveSelect({ mailboxes, exclude, onMove, label = "Move to" }: { mailboxes: MailboxSummary[]; exclude: string | null; onMove: (path: string) => void; label?: string }) {
  return (
    <select
      aria-label={label}
      value=""
      onChange={(e) => {
        if (e.target.value) onMove(e.target.value);
      }}
      className="h-9 max-w-36 rounded-lg border border-slate-300 bg-white px-2 text-sm text-slate-700 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200"
    >
      <option value="">{label}…</option>
      {mailboxes
        .filter((m) => m.selectable && m.path !== exclude && m.role !== "flagged" && m.role !== "all")
        .map((m) => (
          <option key={m.path} value={m.path}>
            {m.role ? m.name : m.path}
          </option>
        ))}
    </select>
  );
}

export function ConversationList(props: Props) {
  const { rows, selected, selectedRows, role, mailboxes, focusIndex, hydrated } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- the list is not memoized by the compiler; it re-renders as it scrolls
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    // Server rendering shows the first screenful.
    initialRect: { width: 600, height: 900 },
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : -1;

  useEffect(() => {
    if (props.hasMore && props.autoLoad && !props.loading && lastIndex >= rows.length - 15) props.onLoadMore();
  }, [lastIndex, rows.length, props.hasMore, props.autoLoad, props.loading, props.onLoadMore]); // eslint-disable-line react-hooks/exhaustive-deps

  useImperativeHandle(props.handle, () => ({
    focusRow(index: number) {
      virtualizer.scrollToIndex(index, { align: "auto" });
      requestAnimationFrame(() => {
        scrollRef.current?.querySelector<HTMLElement>(`[data-row-index="${index}"]`)?.focus();
      });
    },
  }));

  const allSelected = rows.length > 0 && selectedRows.length === rows.length;
  const inJunk = role === "junk";
  const inTrash = role === "trash";
  const bulk = selectedRows.length > 0;
  const currentPath = props.currentMailbox;

  return (
    <div className="flex min-h-0 flex-1 flex-col bg-white dark:bg-slate-900">
      <div className="flex h-12 shrink-0 items-center gap-1 border-b border-slate-200 px-2 dark:border-slate-800" role="toolbar" aria-label="List actions">
        <input
          type="checkbox"
          className="m-2 size-4 accent-brand-600"
          aria-label={allSelected ? "Select none" : "Select all loaded conversations"}
          checked={allSelected}
          ref={(el) => {
            if (el) el.indeterminate = bulk && !allSelected;
          }}
          onChange={(e) => props.onSelectAll(e.target.checked)}
        />
        {bulk ? (
          <>
            {role !== "archive" && !inTrash ? <ToolbarButton label="Archive" icon="archive" shortcut="e" onClick={() => props.onAction("archive", selectedRows)} /> : null}
            <ToolbarButton label={inTrash || inJunk ? "Delete forever" : "Delete"} icon="trash" shortcut="#" onClick={() => props.onAction("trash", selectedRows)} />
            {inJunk ? (
              <ToolbarButton label="Not spam" icon="notSpam" shortcut="!" onClick={() => props.onAction("notspam", selectedRows)} />
            ) : (
              <ToolbarButton label="Report spam" icon="junk" shortcut="!" onClick={() => props.onAction("spam", selectedRows)} />
            )}
            {inTrash || role === "archive" ? <ToolbarButton label="Move to Inbox" icon="inbox" onClick={() => props.onAction("inbox", selectedRows)} /> : null}
            {selectedRows.some((r) => r.unread) ? (
              <ToolbarButton label="Mark as read" icon="mailOpen" shortcut="Shift+I" onClick={() => props.onAction("read", selectedRows)} />
            ) : (
              <ToolbarButton label="Mark as unread" icon="mail" shortcut="Shift+U" onClick={() => props.onAction("unread", selectedRows)} />
            )}
            {selectedRows.every((r) => r.starred) ? (
              <ToolbarButton label="Remove star" icon="star" shortcut="s" onClick={() => props.onAction("unstar", selectedRows)} />
            ) : (
              <ToolbarButton label="Star" icon="star" shortcut="s" onClick={() => props.onAction("star", selectedRows)} />
            )}
            <MoveSelect mailboxes={mailboxes} exclude={currentPath} onMove={(path) => props.onAction("move", selectedRows, path)} />
            <span className="ml-1 text-sm text-slate-500">{selectedRows.length} selected</span>
          </>
        ) : (
          <>
            <ToolbarButton label="Refresh" icon="refresh" onClick={props.onRefresh} />
            <h1 className="ml-1 truncate text-sm font-semibold">{props.searching ? `Search: “${props.query}”` : props.title}</h1>
            {props.searching ? (
              <button type="button" className="ml-1 rounded-md px-2 py-1 text-xs text-brand-700 hover:bg-slate-100 dark:text-brand-100 dark:hover:bg-slate-800" onClick={props.onClearSearch}>
                Clear search
              </button>
            ) : null}
          </>
        )}
        <span className="ml-auto flex items-center gap-2 pr-2 text-xs whitespace-nowrap text-slate-500" data-testid="list-count">
          <span
            className={`inline-block size-2 rounded-full ${props.live === "live" ? "bg-emerald-500" : props.live === "paused" ? "bg-amber-500" : "bg-slate-400"}`}
            title={props.live === "live" ? "Live" : props.live === "paused" ? "Live updates paused" : "Connecting…"}
            aria-label={props.live === "live" ? "Live updates on" : props.live === "paused" ? "Live updates paused" : "Connecting live updates"}
            role="img"
          />
          {rows.length ? `${rows.length.toLocaleString()} of ${props.total.toLocaleString()}${props.searching || role === "flagged" ? "" : " messages"}` : ""}
        </span>
      </div>

      <div ref={scrollRef} className="min-h-0 flex-1 overflow-y-auto overscroll-contain" data-testid="conversation-scroller">
        {rows.length === 0 ? (
          <div className="p-8 text-center text-sm text-slate-500">
            {props.error ? (
              <div role="alert" className="flex flex-col items-center gap-3">
                <p>{props.error}</p>
                <button type="button" onClick={props.onRetry} className="rounded-lg border border-slate-300 px-3 py-1.5 text-slate-700 hover:bg-slate-100 dark:border-slate-700 dark:text-slate-200 dark:hover:bg-slate-800">
                  Try again
                </button>
              </div>
            ) : props.loading ? (
              <p aria-live="polite">Loading…</p>
            ) : props.searching ? (
              <p>No conversations match your search.</p>
            ) : (
              <p>No conversations in {props.title}.</p>
            )}
          </div>
        ) : (
          <div
            role="grid"
            aria-label={`${props.title} conversations`}
            aria-rowcount={props.hasMore ? -1 : rows.length}
            aria-multiselectable="true"
            className="relative w-full"
            style={{ height: virtualizer.getTotalSize() }}
          >
            {items.map((item) => {
              const row = rows[item.index];
              return (
                <Row
                  key={row.id}
                  row={row}
                  index={item.index}
                  top={item.start}
                  focused={item.index === focusIndex}
                  selected={selected.has(row.id)}
                  open={row.id === props.openId}
                  role={role}
                  email={props.email}
                  hydrated={hydrated}
                  href={props.hrefOf(row.id)}
                  onFocusIndex={props.onFocusIndex}
                  onOpen={props.onOpen}
                  onToggleSelect={props.onToggleSelect}
                  onAction={props.onAction}
                />
              );
            })}
          </div>
        )}
        {rows.length > 0 && (props.loading || props.hasMore) ? (
          <p className="py-3 text-center text-xs text-slate-500">
            {props.loading ? (
              "Loading more…"
            ) : !props.autoLoad ? (
              <button type="button" className="rounded-lg border border-slate-300 px-3 py-1.5 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800" onClick={props.onLoadMore}>
                Look for older conversations
              </button>
            ) : null}
          </p>
        ) : null}
      </div>
    </div>
  );
}

interface RowProps {
  row: ConversationRow;
  index: number;
  top: number;
  focused: boolean;
  selected: boolean;
  open: boolean;
  role: MailboxRole;
  email: string;
  hydrated: boolean;
  href: string;
  onFocusIndex: (i: number) => void;
  onOpen: (row: ConversationRow) => void;
  onToggleSelect: (id: string) => void;
  onAction: (action: Action, rows: ConversationRow[]) => void;
}

const Row = memo(function Row({ row, index, top, focused, selected, open, role, email, hydrated, href, onFocusIndex, onOpen, onToggleSelect, onAction }: RowProps) {
  const people = role === "sent" || role === "drafts" ? `To: ${addressList(row.to.slice(0, 3), email) || "(no recipients)"}` : sendersLabel(row.senders, email);
  const subject = row.subject || "(no subject)";
  const date = shortDate(row.date, hydrated);
  return (
    <div
      role="row"
      aria-rowindex={index + 1}
      aria-selected={selected}
      aria-current={open ? "true" : undefined}
      tabIndex={focused ? 0 : -1}
      data-row-index={index}
      data-testid="conversation-row"
      data-unread={row.unread ? "true" : "false"}
      data-starred={row.starred ? "true" : "false"}
      onFocus={() => onFocusIndex(index)}
      onKeyDown={(e) => {
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          e.preventDefault();
          const next = (e.currentTarget.parentElement?.querySelector(`[data-row-index="${index + (e.key === "ArrowDown" ? 1 : -1)}"]`) as HTMLElement | null);
          next?.focus();
        } else if (e.key === " ") {
          e.preventDefault();
          onToggleSelect(row.id);
        }
      }}
      className={
        "absolute inset-x-0 flex cursor-pointer items-stretch border-b border-slate-100 text-sm outline-none focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:ring-inset dark:border-slate-800 " +
        (open || selected ? "bg-brand-50 dark:bg-slate-800 " : row.unread ? "bg-white dark:bg-slate-900 " : "bg-slate-50/70 dark:bg-slate-950/40 ") +
        "hover:shadow-[inset_0_-1px_0_rgba(0,0,0,.06),0_1px_3px_rgba(0,0,0,.12)]"
      }
      style={{ top, height: ROW_HEIGHT }}
      onClick={() => onOpen(row)}
    >
      <div role="gridcell" className="flex flex-col items-center justify-center gap-1 pl-2" onClick={(e) => e.stopPropagation()}>
        <input
          type="checkbox"
          tabIndex={-1}
          className="size-4 accent-brand-600"
          checked={selected}
          aria-label={`Select: ${subject}`}
          onChange={() => onToggleSelect(row.id)}
        />
        <button
          type="button"
          tabIndex={-1}
          aria-pressed={row.starred}
          aria-label={row.starred ? `Remove star: ${subject}` : `Star: ${subject}`}
          className={`rounded p-0.5 ${row.starred ? "text-amber-500" : "text-slate-400 hover:text-slate-600 dark:hover:text-slate-200"}`}
          onClick={() => onAction(row.starred ? "unstar" : "star", [row])}
        >
          <Icon name="star" className="size-4" filled={row.starred} />
        </button>
      </div>
      <div role="gridcell" className="flex min-w-0 flex-1 flex-col justify-center gap-0.5 px-3">
        <div className="flex items-baseline gap-2">
          <span className={`min-w-0 flex-1 truncate ${row.unread ? "font-bold text-slate-900 dark:text-white" : "text-slate-700 dark:text-slate-300"}`}>
            {row.draft && role !== "drafts" ? <span className="mr-1 text-red-600">Draft</span> : null}
            {people}
            {row.count > 1 ? <span className="ml-1 text-xs font-normal text-slate-500">{row.count}</span> : null}
          </span>
          {row.hasAttachments ? (
            <span title="Has attachments" aria-label="Has attachments" role="img" className="text-slate-500">
              <Icon name="paperclip" className="size-4" />
            </span>
          ) : null}
          <time dateTime={row.date} className={`shrink-0 text-xs ${row.unread ? "font-bold text-slate-900 dark:text-white" : "text-slate-500"}`}>
            {date}
          </time>
        </div>
        <a
          href={href}
          tabIndex={-1}
          onClick={(e) => {
            if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) {
              e.stopPropagation();
              return;
            }
            e.preventDefault();
          }}
          className="block truncate text-slate-600 dark:text-slate-400"
          aria-label={`${row.unread ? "Unread, " : ""}${subject}, from ${sendersLabel(row.senders, email)}, ${date}`}
        >
          <span className={row.unread ? "font-bold text-slate-900 dark:text-white" : "text-slate-800 dark:text-slate-200"}>{subject}</span>
          {row.snippet ? <span> — {row.snippet}</span> : null}
        </a>
      </div>
    </div>
  );
});
