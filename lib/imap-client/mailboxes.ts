import type { ImapFlow, ListResponse } from "imapflow";
import { AppError } from "../errors.ts";

// Folders over IMAP: LIST with STATUS (RFC 5819) for the counts, SPECIAL-USE (RFC 6154) for the
// roles, CREATE / RENAME / DELETE for the user's own folders.

export type MailboxRole = "inbox" | "drafts" | "sent" | "archive" | "junk" | "trash" | "all" | "flagged" | null;

export interface MailboxSummary {
  path: string;
  /** Last level of the path. */
  name: string;
  delimiter: string;
  parent: string | null;
  role: MailboxRole;
  messages: number;
  unseen: number;
  /** \Noselect: a level that holds folders but no mail. */
  selectable: boolean;
}

const ROLES: Record<string, MailboxRole> = {
  "\\Inbox": "inbox",
  "\\Drafts": "drafts",
  "\\Sent": "sent",
  "\\Archive": "archive",
  "\\Junk": "junk",
  "\\Trash": "trash",
  "\\All": "all",
  "\\Flagged": "flagged",
};

/** Gmail's order for the folders with a role; the user's own follow by name. */
const ROLE_ORDER: MailboxRole[] = ["inbox", "sent", "drafts", "archive", "junk", "trash", "all", "flagged"];

function toSummary(m: ListResponse): MailboxSummary {
  const role = m.path.toUpperCase() === "INBOX" ? "inbox" : (ROLES[m.specialUse ?? ""] ?? null);
  return {
    path: m.path,
    name: m.path.toUpperCase() === "INBOX" ? "Inbox" : m.name,
    delimiter: m.delimiter || "/",
    parent: m.parentPath || null,
    role,
    messages: m.status?.messages ?? 0,
    unseen: m.status?.unseen ?? 0,
    selectable: !m.flags.has("\\Noselect") && !m.flags.has("\\NonExistent"),
  };
}

export function sortMailboxes(list: MailboxSummary[]): MailboxSummary[] {
  const rank = (m: MailboxSummary) => (m.role ? ROLE_ORDER.indexOf(m.role) : ROLE_ORDER.length);
  return [...list].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path, undefined, { sensitivity: "base" }));
}

const cache = new WeakMap<ImapFlow, { at: number; list: MailboxSummary[] }>();
const CACHE_MS = 30_000;

/** Every folder with its message and unseen counts (one LIST … RETURN (STATUS …)). */
export async function listMailboxes(client: ImapFlow): Promise<MailboxSummary[]> {
  const list = await client.list({ statusQuery: { messages: true, unseen: true } });
  const out = sortMailboxes(list.map(toSummary));
  cache.set(client, { at: Date.now(), list: out });
  return out;
}

/** The folder list, from a recent LIST when there was one (for resolving roles). */
export async function knownMailboxes(client: ImapFlow): Promise<MailboxSummary[]> {
  const hit = cache.get(client);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.list;
  return listMailboxes(client);
}

export function forgetMailboxes(client: ImapFlow): void {
  cache.delete(client);
}

/** The path of the folder with `role`, or null. */
export async function mailboxWithRole(client: ImapFlow, role: Exclude<MailboxRole, null>): Promise<string | null> {
  if (role === "inbox") return "INBOX";
  const list = await knownMailboxes(client);
  return list.find((m) => m.role === role)?.path ?? null;
}

export async function mailboxWithRoleOrThrow(client: ImapFlow, role: Exclude<MailboxRole, null>): Promise<string> {
  const path = await mailboxWithRole(client, role);
  if (!path) throw new AppError("NOT_FOUND", `This account has no ${role} folder.`);
  return path;
}

export async function mailboxOrThrow(client: ImapFlow, path: string): Promise<MailboxSummary> {
  const list = await knownMailboxes(client);
  let found = list.find((m) => m.path === path || (path.toUpperCase() === "INBOX" && m.role === "inbox"));
  if (!found) {
    // Created since the cached LIST, perhaps by another client.
    found = (await listMailboxes(client)).find((m) => m.path === path);
  }
  if (!found) throw new AppError("NOT_FOUND", "That folder does not exist.");
  return found;
}

function checkName(name: string, delimiter: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200) throw new AppError("INVALID", "Give the folder a name (at most 200 characters).");
  if (/[\x00-\x1f\x7f*%]/.test(trimmed)) throw new AppError("INVALID", "Folder names cannot contain control characters, * or %.");
  if (trimmed.split(delimiter).some((p) => p.trim() === "")) throw new AppError("INVALID", `Folder names cannot have an empty level (“${delimiter}${delimiter}”).`);
  return trimmed;
}

function assertUserFolder(m: MailboxSummary): void {
  if (m.role) throw new AppError("FORBIDDEN", `${m.name} is a system folder; it cannot be renamed or deleted.`);
}

export async function createMailbox(client: ImapFlow, input: { name: string; parent?: string | null }): Promise<MailboxSummary> {
  const list = await knownMailboxes(client);
  const delimiter = list[0]?.delimiter ?? "/";
  const name = checkName(input.name, delimiter);
  if (input.parent) await mailboxOrThrow(client, input.parent);
  const path = input.parent ? `${input.parent}${delimiter}${name}` : name;
  if (path.toUpperCase() === "INBOX") throw new AppError("ALREADY_EXISTS", "A folder with that name already exists.");
  const created = await client.mailboxCreate(path);
  if (!created.created) throw new AppError("ALREADY_EXISTS", "A folder with that name already exists.");
  forgetMailboxes(client);
  return mailboxOrThrow(client, created.path);
}

export async function renameMailbox(client: ImapFlow, input: { path: string; newName: string }): Promise<MailboxSummary> {
  const from = await mailboxOrThrow(client, input.path);
  assertUserFolder(from);
  const name = checkName(input.newName, from.delimiter);
  // A new name keeps the folder where it is; a name with the delimiter moves it.
  const newPath = from.parent && !name.includes(from.delimiter) ? `${from.parent}${from.delimiter}${name}` : name;
  if (newPath === from.path) return from;
  const list = await listMailboxes(client);
  if (list.some((m) => m.path === newPath) || newPath.toUpperCase() === "INBOX") {
    throw new AppError("ALREADY_EXISTS", "A folder with that name already exists.");
  }
  await client.mailboxRename(from.path, newPath);
  forgetMailboxes(client);
  return mailboxOrThrow(client, newPath);
}

export async function deleteMailbox(client: ImapFlow, input: { path: string }): Promise<void> {
  const m = await mailboxOrThrow(client, input.path);
  assertUserFolder(m);
  if (client.mailbox && client.mailbox.path === m.path) await client.mailboxClose();
  await client.mailboxDelete(m.path);
  forgetMailboxes(client);
}
