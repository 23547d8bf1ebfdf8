import type { ImapFlow } from "imapflow";
import { AppError } from "../errors.ts";
import { forgetMailboxes, mailboxOrThrow, mailboxWithRoleOrThrow } from "./mailboxes.ts";
import { compactSet } from "./summaries.ts";
import { openMailbox } from "./select.ts";

// What the reader does to conversations, as IMAP: STORE for read/unread and stars, MOVE
// (RFC 6851) for archive, trash, spam and folders, and in Trash a real delete (STORE \Deleted +
// UID EXPUNGE, RFC 4315). Targets are (folder, UIDs) pairs, as the list and the conversation gave them.

export const MESSAGE_ACTIONS = ["read", "unread", "star", "unstar", "archive", "trash", "delete", "spam", "notspam", "move", "inbox"] as const;
export type MessageAction = (typeof MESSAGE_ACTIONS)[number];

export interface MessageTarget {
  mailbox: string;
  uids: number[];
}

export interface ActionResult {
  /** Messages changed, per source folder; `destination` when they moved. */
  changed: { mailbox: string; uids: number[]; destination: string | null }[];
}

async function destinationFor(client: ImapFlow, action: MessageAction, source: string, explicit?: string | null): Promise<string | null> {
  switch (action) {
    case "archive":
      return mailboxWithRoleOrThrow(client, "archive");
    case "trash":
      return mailboxWithRoleOrThrow(client, "trash");
    case "spam":
      return mailboxWithRoleOrThrow(client, "junk");
    case "notspam":
    case "inbox":
      return "INBOX";
    case "move": {
      if (!explicit) throw new AppError("INVALID", "Choose a folder to move to.");
      const m = await mailboxOrThrow(client, explicit);
      if (!m.selectable) throw new AppError("INVALID", "That folder cannot hold messages.");
      return m.path;
    }
    default:
      void source;
      return null;
  }
}

/** imapflow answers a refused STORE / MOVE / EXPUNGE with false rather than an error. */
function succeeded(client: ImapFlow, result: unknown): void {
  if (result) return;
  if (!client.usable) throw Object.assign(new Error("IMAP connection closed"), { code: "NoConnection" });
  throw new AppError("TEMPORARY", "The server refused the change; try again.");
}

export async function applyMessageAction(
  client: ImapFlow,
  input: { action: MessageAction; targets: MessageTarget[]; destination?: string | null },
): Promise<ActionResult> {
  const result: ActionResult = { changed: [] };
  // One pass per folder, whatever order the targets came in.
  const byFolder = new Map<string, Set<number>>();
  for (const t of input.targets) {
    const set = byFolder.get(t.mailbox) ?? new Set<number>();
    for (const uid of t.uids) set.add(uid);
    byFolder.set(t.mailbox, set);
  }
  for (const [mailbox, set] of byFolder) {
    const uids = [...set].sort((a, b) => a - b);
    if (uids.length === 0) continue;
    const source = await mailboxOrThrow(client, mailbox);
    let action = input.action;
    // Deleting from Trash (or Junk) deletes for good; "delete" elsewhere moves to Trash.
    if (action === "trash" && (source.role === "trash" || source.role === "junk")) action = "delete";
    if (action === "delete" && source.role !== "trash" && source.role !== "junk") action = "trash";
    const destination = await destinationFor(client, action, source.path, input.destination);
    if (destination === source.path) continue;
    const lock = await openMailbox(client, source.path);
    try {
      const range = compactSet(uids);
      switch (action) {
        case "read":
          succeeded(client, await client.messageFlagsAdd(range, ["\\Seen"], { uid: true }));
          break;
        case "unread":
          succeeded(client, await client.messageFlagsRemove(range, ["\\Seen"], { uid: true }));
          break;
        case "star":
          succeeded(client, await client.messageFlagsAdd(range, ["\\Flagged"], { uid: true }));
          break;
        case "unstar":
          succeeded(client, await client.messageFlagsRemove(range, ["\\Flagged"], { uid: true }));
          break;
        case "delete":
          succeeded(client, await client.messageDelete(range, { uid: true }));
          break;
        default:
          if (!destination) throw new AppError("INVALID", "Nowhere to move the messages to.");
          succeeded(client, await client.messageMove(range, destination, { uid: true }));
      }
    } finally {
      lock.release();
    }
    result.changed.push({ mailbox: source.path, uids, destination });
  }
  forgetMailboxes(client);
  return result;
}
