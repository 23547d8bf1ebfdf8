"use client";

import Link from "next/link";
import { useState } from "react";
import type { MailboxSummary } from "@/lib/imap-client/mailboxes";
import { api, ApiError } from "./api";
import { Icon, type IconName } from "./icons";
import { INBOX_PLACE, type Place } from "./place";
import { PromptDialog, type PromptRequest } from "./prompt-dialog";
import { openCompose } from "./compose/store";

// The left rail: compose, the folders with unread counts (Starred is a view over every folder),
// the user's own folders with create / rename / delete, and the settings pages.

const ROLE_ICONS: Record<string, IconName> = { inbox: "inbox", sent: "sent", drafts: "drafts", archive: "archive", junk: "junk", trash: "trash" };

interface Props {
  id: string;
  open: boolean;
  onClose: () => void;
  mailboxes: MailboxSummary[];
  place: Place;
  onGo: (p: Place) => void;
  onChanged: (next: Place | null) => Promise<void>;
}

function message(err: unknown): string {
  return err instanceof ApiError || err instanceof Error ? err.message : "That did not work.";
}

export function MailRail({ id, open, onClose, mailboxes, place, onGo, onChanged }: Props) {
  const [prompt, setPrompt] = useState<PromptRequest | null>(null);
  const system = mailboxes.filter((m) => m.role && m.role !== "all" && m.role !== "flagged");
  const own = mailboxes.filter((m) => !m.role);
  const inboxAt = Math.max(0, system.findIndex((m) => m.role === "inbox"));

  const link = (key: string, label: string, icon: IconName, target: Place, active: boolean, count?: number, depth = 0) => (
    <li key={key}>
      <a
        href={target.view === "starred" ? "/mail?view=starred" : target.mailbox === "INBOX" ? "/mail" : `/mail?box=${encodeURIComponent(target.mailbox)}`}
        onClick={(e) => {
          e.preventDefault();
          onGo(target);
        }}
        aria-current={active ? "page" : undefined}
        className={
          "flex h-9 items-center gap-3 rounded-r-full pr-3 text-sm " +
          (active
            ? "bg-brand-100 font-semibold text-brand-700 dark:bg-slate-800 dark:text-slate-100"
            : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800")
        }
        style={{ paddingLeft: `${1 + depth * 0.9}rem` }}
      >
        <Icon name={icon} className="size-[1.1rem] shrink-0" />
        <span className="min-w-0 flex-1 truncate">{label}</span>
        {count ? (
          <span className="text-xs font-semibold" aria-label={`${count} unread`}>
            {count.toLocaleString()}
          </span>
        ) : null}
      </a>
    </li>
  );

  const createFolder = () =>
    setPrompt({
      title: "New folder",
      label: "Folder name",
      confirm: "Create",
      onSubmit: async (name) => {
        try {
          const r = await api<{ mailbox: MailboxSummary }>("/api/mail/mailboxes", { method: "POST", json: { name } });
          await onChanged({ ...INBOX_PLACE, mailbox: r.mailbox.path });
          return null;
        } catch (err) {
          return message(err);
        }
      },
    });

  const renameFolder = (m: MailboxSummary) =>
    setPrompt({
      title: `Rename “${m.name}”`,
      label: "New name",
      initial: m.name,
      confirm: "Rename",
      onSubmit: async (newName) => {
        try {
          const r = await api<{ mailbox: MailboxSummary }>("/api/mail/mailboxes", { method: "PATCH", json: { path: m.path, newName } });
          await onChanged(place.view === "mailbox" && place.mailbox === m.path ? { ...INBOX_PLACE, mailbox: r.mailbox.path } : null);
          return null;
        } catch (err) {
          return message(err);
        }
      },
    });

  const deleteFolder = (m: MailboxSummary) =>
    setPrompt({
      title: `Delete “${m.name}”?`,
      message: m.messages ? `The folder and the ${m.messages.toLocaleString()} messages in it will be deleted for good.` : "The folder will be deleted.",
      confirm: "Delete folder",
      danger: true,
      onSubmit: async () => {
        try {
          await api(`/api/mail/mailboxes?path=${encodeURIComponent(m.path)}`, { method: "DELETE" });
          await onChanged(place.view === "mailbox" && place.mailbox === m.path ? { ...INBOX_PLACE } : null);
          return null;
        } catch (err) {
          return message(err);
        }
      },
    });

  return (
    <>
      {open ? <div className="fixed inset-0 z-20 bg-slate-950/40 md:hidden" aria-hidden="true" onClick={onClose} /> : null}
      <nav
        id={id}
        aria-label="Folders"
        onKeyDown={(e) => {
          if (e.key === "Escape" && open) onClose();
        }}
        className={`${open ? "fixed inset-y-0 left-0 z-30 flex shadow-xl" : "hidden"} w-64 shrink-0 flex-col overflow-y-auto bg-slate-50 py-3 pr-2 md:static md:flex md:shadow-none dark:bg-slate-950`}
      >
        <div className="px-3 pb-3">
          <button
            type="button"
            className="inline-flex h-12 items-center gap-3 rounded-2xl bg-brand-100 px-5 text-sm font-semibold text-brand-700 shadow-sm hover:shadow-md dark:bg-slate-800 dark:text-slate-100"
            data-testid="compose-button"
            aria-keyshortcuts="c"
            onClick={() => void openCompose()}
          >
            <Icon name="pencil" />
            Compose
          </button>
        </div>
        <ul className="flex flex-col">
          {system.slice(0, inboxAt + 1).map((m) => link(m.path, m.name, ROLE_ICONS[m.role!] ?? "folder", { ...INBOX_PLACE, mailbox: m.path }, place.view === "mailbox" && place.mailbox === m.path, m.role === "inbox" ? m.unseen : undefined))}
          {link("\u0000starred", "Starred", "star", { ...INBOX_PLACE, view: "starred" }, place.view === "starred")}
          {system.slice(inboxAt + 1).map((m) =>
            link(m.path, m.name, ROLE_ICONS[m.role!] ?? "folder", { ...INBOX_PLACE, mailbox: m.path }, place.view === "mailbox" && place.mailbox === m.path, m.role === "trash" || m.role === "sent" ? undefined : m.role === "drafts" ? m.messages : m.unseen),
          )}
        </ul>
        <div className="mt-4 flex items-center justify-between pr-1 pl-4">
          <h2 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Folders</h2>
          <button type="button" className="rounded-lg p-1.5 text-slate-600 hover:bg-slate-200 dark:text-slate-300 dark:hover:bg-slate-800" aria-label="Create folder" onClick={createFolder}>
            <Icon name="plus" className="size-4" />
          </button>
        </div>
        <ul className="flex flex-col">
          {own.map((m) => {
            const depth = m.path.split(m.delimiter).length - 1;
            return (
              <li key={m.path} className="group flex items-center">
                <ul className="min-w-0 flex-1">
                  {m.selectable
                    ? link(m.path, m.name, "folder", { ...INBOX_PLACE, mailbox: m.path }, place.view === "mailbox" && place.mailbox === m.path, m.unseen, depth)
                    : <li className="flex h-9 items-center gap-3 text-sm text-slate-500" style={{ paddingLeft: `${1 + depth * 0.9}rem` }}><Icon name="folder" className="size-[1.1rem]" />{m.name}</li>}
                </ul>
                <FolderMenu name={m.name} onRename={() => renameFolder(m)} onDelete={() => deleteFolder(m)} />
              </li>
            );
          })}
          {own.length === 0 ? <li className="py-1 pl-4 text-xs text-slate-500">No folders of your own yet.</li> : null}
        </ul>
        <div className="mt-auto border-t border-slate-200 pt-3 pl-4 text-xs dark:border-slate-800">
          <h2 className="mb-1 font-semibold tracking-wide text-slate-500 uppercase">Settings</h2>
          <ul className="flex flex-wrap gap-x-3 gap-y-1 text-slate-600 dark:text-slate-400">
            <li><Link className="hover:underline" href="/settings/devices">Devices</Link></li>
            <li><Link className="hover:underline" href="/settings/security">Security</Link></li>
            <li><Link className="hover:underline" href="/settings/app-passwords">App passwords</Link></li>
          </ul>
        </div>
      </nav>
      {prompt ? <PromptDialog request={prompt} onClose={() => setPrompt(null)} /> : null}
    </>
  );
}

function FolderMenu({ name, onRename, onDelete }: { name: string; onRename: () => void; onDelete: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="relative">
      <button
        type="button"
        aria-label={`Folder actions for ${name}`}
        aria-haspopup="menu"
        aria-expanded={open}
        className="rounded-lg p-1.5 text-slate-500 opacity-60 group-hover:opacity-100 hover:bg-slate-200 focus:opacity-100 dark:hover:bg-slate-800"
        onClick={() => setOpen((v) => !v)}
        onKeyDown={(e) => {
          if (e.key === "Escape") setOpen(false);
        }}
      >
        <Icon name="more" className="size-4" />
      </button>
      {open ? (
        <ul
          role="menu"
          aria-label={`Actions for ${name}`}
          className="absolute top-8 right-0 z-40 w-36 rounded-lg border border-slate-200 bg-white py-1 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-900"
          onKeyDown={(e) => {
            if (e.key === "Escape") setOpen(false);
          }}
        >
          <li role="none">
            <button role="menuitem" autoFocus type="button" className="w-full px-3 py-1.5 text-left hover:bg-slate-100 dark:hover:bg-slate-800" onClick={() => { setOpen(false); onRename(); }}>
              Rename
            </button>
          </li>
          <li role="none">
            <button role="menuitem" type="button" className="w-full px-3 py-1.5 text-left text-red-700 hover:bg-slate-100 dark:text-red-400 dark:hover:bg-slate-800" onClick={() => { setOpen(false); onDelete(); }}>
              Delete
            </button>
          </li>
        </ul>
      ) : null}
    </div>
  );
}
