import type { ImapFlow, MailboxLockObject } from "imapflow";
import { getConfig } from "../../../config.ts";
import { AppError } from "../../../errors.ts";
import { mailboxWithRoleOrThrow } from "../../../imap-client/mailboxes.ts";
import { withImap, type ImapIdentity } from "../../../imap-client/pool.ts";
import { checkRecipient, type Recipient } from "./addresses.ts";
import { resolveSender } from "./from.ts";
import { attachmentId, attachmentInfo, buildMessage, newMessageId, parseComposed, type AttachmentInfo, type MessageAttachment } from "./mime.ts";
import type { ComposeInput } from "./schemas.ts";

// Drafts live in the Drafts folder over IMAP, like any client's: each save APPENDs the new
// version (\Draft \Seen) and then removes the older ones (STORE \Deleted + UID EXPUNGE, RFC 4315).
// A draft keeps one Message-ID across its versions, so "the older ones" are found by that header
// from any device, and the message it becomes keeps it too. Attachments travel inside the draft:
// a save carries over the previous version's attachments that the window still lists (by content
// hash), so nothing is stored anywhere but the mailbox.

export interface DraftView {
  uid: number | null;
  messageId: string;
  from: string;
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  subject: string;
  html: string;
  inReplyTo: string | null;
  references: string[];
  attachments: AttachmentInfo[];
  forwardOf: { mailbox: string; uid: number } | null;
  answering: { mailbox: string; uid: number } | null;
  /** ISO time of the saved version. */
  savedAt: string | null;
}

const LOCK = { acquireTimeout: 15_000 };

/**
 * Selects `folder` for the caller. A pooled connection may have had it selected for a while: NOOP
 * brings in what other sessions added meanwhile (RFC 9051 §6.1.2), which the server otherwise
 * keeps from this session until then.
 */
export async function lockFresh(client: ImapFlow, folder: string): Promise<MailboxLockObject> {
  const wasSelected = client.mailbox && client.mailbox.path === folder;
  const lock = await client.getMailboxLock(folder, LOCK);
  if (wasSelected) await client.noop().catch(() => undefined);
  return lock;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1) || "localhost";
}

/** UIDs in the selected folder of messages with this Message-ID. */
export async function uidsWithMessageId(client: ImapFlow, messageId: string): Promise<number[]> {
  const r = await client.search({ header: { "message-id": messageId } }, { uid: true });
  return Array.isArray(r) ? r : [];
}

/** The raw message `uid` of the selected folder, or null. */
export async function readSource(client: ImapFlow, uid: number): Promise<Buffer | null> {
  const m = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
  return m && m.source ? m.source : null;
}

/** The raw message `uid` of `mailbox`. */
export async function readMessageSource(client: ImapFlow, mailbox: string, uid: number): Promise<Buffer> {
  const lock = await lockFresh(client, mailbox);
  try {
    const raw = await readSource(client, uid);
    if (!raw) throw new AppError("NOT_FOUND", "That message is not here any more.");
    return raw;
  } finally {
    lock.release();
  }
}

/**
 * The attachments `ids` (in that order) from the draft's saved version (`uid`, or the newest with
 * its Message-ID) or, for a forward not saved yet, from the original.
 */
export async function collectAttachments(
  client: ImapFlow,
  input: { ids: string[]; uid?: number | null; messageId?: string | null; forwardOf?: { mailbox: string; uid: number } | null },
): Promise<MessageAttachment[]> {
  if (input.ids.length === 0) return [];
  const sources: Buffer[] = [];
  const drafts = await mailboxWithRoleOrThrow(client, "drafts");
  const lock = await lockFresh(client, drafts);
  try {
    const candidates = new Set<number>();
    if (input.uid) candidates.add(input.uid);
    if (input.messageId) for (const u of await uidsWithMessageId(client, input.messageId)) candidates.add(u);
    for (const u of [...candidates].sort((a, b) => b - a)) {
      const raw = await readSource(client, u);
      if (raw) {
        sources.push(raw);
        break;
      }
    }
  } finally {
    lock.release();
  }
  if (input.forwardOf) sources.push(await readMessageSource(client, input.forwardOf.mailbox, input.forwardOf.uid));
  const found = new Map<string, MessageAttachment>();
  for (const raw of sources) {
    for (const a of (await parseComposed(raw)).attachments) {
      const id = attachmentId(a.content);
      if (!found.has(id)) found.set(id, a);
    }
  }
  return input.ids.map((id) => {
    const a = found.get(id);
    if (!a) throw new AppError("CONFLICT", "An attachment of this draft is gone (was the draft changed on another device?). Attach it again.");
    return a;
  });
}

export function checkMessageSize(raw: Buffer): void {
  const max = getConfig().maxMessageSize;
  if (raw.length > max) {
    throw new AppError("INVALID", `The message is too large (${(raw.length / 1048576).toFixed(1)} MB; the limit is ${(max / 1048576).toFixed(0)} MB).`);
  }
}

/** Deletes every message with `messageId` in the folder (`except` one UID). */
async function removeVersions(client: ImapFlow, folder: string, messageId: string, except: number | null): Promise<void> {
  const lock = await lockFresh(client, folder);
  try {
    const old = (await uidsWithMessageId(client, messageId)).filter((u) => u !== except);
    if (old.length) await client.messageDelete(old.join(","), { uid: true });
  } finally {
    lock.release();
  }
}

export async function appendTo(client: ImapFlow, folder: string, raw: Buffer, flags: string[], messageId: string): Promise<number | null> {
  const r = await client.append(folder, raw, flags);
  if (!r) throw new AppError("TEMPORARY", "The mail server did not take the message; try again.");
  if (r.uid) return r.uid;
  const lock = await lockFresh(client, folder);
  try {
    const uids = await uidsWithMessageId(client, messageId);
    return uids.length ? Math.max(...uids) : null;
  } finally {
    lock.release();
  }
}

/**
 * Saves a new version of the draft (with `added` attachments after the kept ones) and removes the
 * older versions. Returns the draft as saved.
 */
export async function saveDraft(identity: ImapIdentity, input: ComposeInput, added: MessageAttachment[] = []): Promise<DraftView> {
  const from = await resolveSender({ userId: identity.userId, email: identity.email, requested: input.from });
  const messageId = input.messageId ?? newMessageId(domainOf(from.address));
  const to = input.to.map(checkRecipientLoose);
  const cc = input.cc.map(checkRecipientLoose);
  const bcc = input.bcc.map(checkRecipientLoose);
  const now = new Date();
  return withImap(
    identity,
    async (client) => {
      const kept = await collectAttachments(client, { ids: input.attachments, uid: input.uid, messageId, forwardOf: input.forwardOf });
      const attachments = dedupe([...kept, ...added]);
      const raw = await buildMessage(
        { from, to, cc, bcc, subject: input.subject, html: input.html, messageId, inReplyTo: input.inReplyTo ?? null, references: input.references, date: now, attachments },
        { keepBcc: true },
      );
      checkMessageSize(raw);
      const drafts = await mailboxWithRoleOrThrow(client, "drafts");
      const uid = await appendTo(client, drafts, raw, ["\\Draft", "\\Seen"], messageId);
      await removeVersions(client, drafts, messageId, uid);
      return {
        uid,
        messageId,
        from: from.address,
        to,
        cc,
        bcc,
        subject: input.subject,
        html: input.html,
        inReplyTo: input.inReplyTo ?? null,
        references: input.references,
        attachments: attachments.map(attachmentInfo),
        forwardOf: null,
        answering: input.answering ?? null,
        savedAt: now.toISOString(),
      };
    },
    { lane: "aux" },
  );
}

/** A draft may hold a half-typed address; it is kept as typed (sending checks it). */
function checkRecipientLoose(r: Recipient): Recipient {
  try {
    return checkRecipient(r);
  } catch {
    return { name: r.name.replace(/[\r\n\t]+/g, " ").trim(), address: r.address.replace(/[\r\n\t\s]+/g, "") };
  }
}

function dedupe(list: MessageAttachment[]): MessageAttachment[] {
  const seen = new Set<string>();
  return list.filter((a) => {
    const id = attachmentId(a.content);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** A draft as the compose window shows it, by UID in Drafts or by Message-ID (the newest version). */
export async function openDraft(identity: ImapIdentity, input: { uid: number } | { messageId: string }): Promise<DraftView> {
  const { raw, uid } = await withImap(
    identity,
    async (client) => {
      const drafts = await mailboxWithRoleOrThrow(client, "drafts");
      const lock = await lockFresh(client, drafts);
      try {
        const uid = "uid" in input ? input.uid : Math.max(0, ...(await uidsWithMessageId(client, input.messageId)));
        const raw = uid ? await readSource(client, uid) : null;
        return { raw, uid };
      } finally {
        lock.release();
      }
    },
    { lane: "aux" },
  );
  if (!raw) throw new AppError("NOT_FOUND", "That draft is not here any more (it was sent or discarded).");
  const p = await parseComposed(raw);
  return {
    uid,
    messageId: p.messageId ?? newMessageId(domainOf(identity.email)),
    from: p.from?.address ?? identity.email,
    to: p.to,
    cc: p.cc,
    bcc: p.bcc,
    subject: p.subject,
    html: p.html,
    inReplyTo: p.inReplyTo,
    references: p.references,
    attachments: p.attachments.map(attachmentInfo),
    forwardOf: null,
    answering: null,
    savedAt: p.date?.toISOString() ?? null,
  };
}

/** One attachment of a saved draft (to open it from the compose window). */
export async function draftAttachment(identity: ImapIdentity, input: { uid: number; id: string }): Promise<MessageAttachment> {
  const [a] = await withImap(identity, (c) => collectAttachments(c, { ids: [input.id], uid: input.uid }), { lane: "aux" });
  return a;
}

/** Deletes every version of the draft. */
export async function discardDraft(identity: ImapIdentity, input: { messageId: string }): Promise<void> {
  await withImap(identity, async (client) => removeVersions(client, await mailboxWithRoleOrThrow(client, "drafts"), input.messageId, null), { lane: "aux" });
}

/** Removes the draft's versions after it was sent (inside a caller's withImap). */
export async function removeDraftVersions(client: ImapFlow, messageId: string): Promise<void> {
  await removeVersions(client, await mailboxWithRoleOrThrow(client, "drafts"), messageId, null);
}

/** Removes copies with `messageId` from a folder with `role` (inside a caller's withImap). */
export async function removeFromRole(client: ImapFlow, role: "sent" | "drafts", messageId: string): Promise<void> {
  await removeVersions(client, await mailboxWithRoleOrThrow(client, role), messageId, null);
}
