import { AppError } from "../../../errors.ts";
import { mailboxWithRoleOrThrow } from "../../../imap-client/mailboxes.ts";
import { withImap, type ImapIdentity } from "../../../imap-client/pool.ts";
import { enqueueMessage } from "../../../queue/enqueue.ts";
import { readQueuedBlob } from "../../../queue/store.ts";
import { DEFAULT_SENDING_LIMIT, releaseSending, reserveSending } from "../../../smtp/submission-rate-limit.ts";
import { checkRecipient, envelopeRecipients, formatRecipient, type Recipient } from "./addresses.ts";
import { noteContacts } from "./contacts.ts";
import { appendTo, checkMessageSize, lockFresh, collectAttachments, removeDraftVersions, removeFromRole, saveDraft, type DraftView } from "./drafts.ts";
import { resolveSender } from "./from.ts";
import { buildMessage, newMessageId, parseComposed } from "./mime.ts";
import type { SendInput } from "./schemas.ts";
import { addPendingSentCopy, cancelHeldMessage, claimPendingSentCopies, listHeldMessages, restorePendingSentCopies } from "./scheduled.ts";
import { getMailSettings } from "./settings.ts";

// Sending from the webmail: the message is built here, enters the outbound queue that submission
// uses (lib/queue, source "web") and is held there until its send_at — the user's Undo seconds,
// or the time chosen with "Send later" — so that the relay sends it then, browser or not. The
// copy in Sent is APPENDed over IMAP at once for a plain send (Undo removes it again) and when it
// goes for a scheduled one. The draft it came from is removed from Drafts.

export interface SendResult {
  /** Queue id: what Undo and Cancel name. */
  id: number;
  messageId: string;
  sendAt: string;
  scheduled: boolean;
  /** Until when Undo can take it back (null: sent at once). */
  undoUntil: string | null;
}

const MAX_RECIPIENTS = 100;
const MAX_SCHEDULE_DAYS = 366;

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1);
}

export async function sendMessage(identity: ImapIdentity, input: SendInput, opts: { now?: Date } = {}): Promise<SendResult> {
  const now = opts.now ?? new Date();
  const settings = await getMailSettings({ userId: identity.userId });
  const from = await resolveSender({ userId: identity.userId, email: identity.email, requested: input.from });
  const to = input.to.map(checkRecipient);
  const cc = input.cc.map(checkRecipient);
  const bcc = input.bcc.map(checkRecipient);
  const recipients = envelopeRecipients(to, cc, bcc);
  if (recipients.length === 0) throw new AppError("INVALID", "Add at least one recipient.");
  if (recipients.length > MAX_RECIPIENTS) throw new AppError("INVALID", `At most ${MAX_RECIPIENTS} recipients per message.`);

  let scheduledAt: Date | null = null;
  if (input.sendAt) {
    scheduledAt = new Date(input.sendAt);
    if (scheduledAt.getTime() <= now.getTime() + 10_000) throw new AppError("INVALID", "Choose a time in the future to send later.");
    if (scheduledAt.getTime() > now.getTime() + MAX_SCHEDULE_DAYS * 86_400_000) throw new AppError("INVALID", "Choose a time within a year.");
  }
  const sendAt = scheduledAt ?? new Date(now.getTime() + settings.undoSeconds * 1000);
  const messageId = input.messageId ?? newMessageId(domainOf(from.address));

  const attachments = input.attachments.length
    ? await withImap(identity, (c) => collectAttachments(c, { ids: input.attachments, uid: input.uid, messageId, forwardOf: input.forwardOf }), { lane: "aux" })
    : [];
  const message = {
    from,
    to,
    cc,
    bcc,
    subject: input.subject,
    html: input.html,
    messageId,
    inReplyTo: input.inReplyTo ?? null,
    references: input.references,
    date: scheduledAt ?? now,
    attachments,
  };
  const raw = await buildMessage(message, { keepBcc: false });
  checkMessageSize(raw);
  const sentCopy = bcc.length ? await buildMessage(message, { keepBcc: true }) : raw;

  const reserved = await reserveSending({ userId: identity.userId, recipients: recipients.length, limit: DEFAULT_SENDING_LIMIT });
  if (!reserved.ok) {
    throw new AppError("RATE_LIMITED", `You have reached your sending limit; try again in ${Math.ceil(reserved.resetInSeconds / 60)} minutes.`);
  }
  let queued;
  try {
    queued = await enqueueMessage({ userId: identity.userId, sender: from.address, recipients, raw, source: "web", sendAt });
  } catch (err) {
    await releaseSending({ userId: identity.userId, recipients: recipients.length }).catch(() => undefined);
    throw err;
  }
  if (scheduledAt) await addPendingSentCopy({ userId: identity.userId, id: queued.messageId });
  noteContacts(identity.userId, [...to, ...cc, ...bcc]);

  // The message is queued: what follows is bookkeeping, and its failure must not read as "not sent".
  try {
    await withImap(
      identity,
      async (client) => {
        if (!scheduledAt) await appendTo(client, await mailboxWithRoleOrThrow(client, "sent"), sentCopy, ["\\Seen"], messageId);
        await removeDraftVersions(client, messageId);
        if (input.answering) {
          const lock = await lockFresh(client, input.answering.mailbox);
          try {
            await client.messageFlagsAdd(String(input.answering.uid), ["\\Answered"], { uid: true });
          } finally {
            lock.release();
          }
        }
      },
      { lane: "aux" },
    );
  } catch (err) {
    console.error(`send ${queued.messageId}: filing the copy in Sent failed:`, err);
  }
  return {
    id: queued.messageId,
    messageId,
    sendAt: sendAt.toISOString(),
    scheduled: !!scheduledAt,
    undoUntil: !scheduledAt && sendAt > now ? sendAt.toISOString() : null,
  };
}

/** Adds a Bcc header (the queued copy has none) so the copy in Sent or Drafts shows who got one. */
function withBcc(raw: Buffer, bcc: string[]): Buffer {
  if (bcc.length === 0) return raw;
  return Buffer.concat([Buffer.from(`Bcc: ${bcc.join(", ")}\r\n`), raw]);
}

async function bccOf(raw: Buffer, recipients: string[]): Promise<string[]> {
  const p = await parseComposed(raw);
  const visible = new Set([...p.to, ...p.cc].map((r) => r.address.toLowerCase()));
  return recipients.filter((r) => !visible.has(r.toLowerCase()));
}

/**
 * Undo / Cancel: takes the held message out of the queue, removes its copy from Sent, and puts it
 * back in Drafts, returning the draft for the compose window.
 */
export async function cancelSend(identity: ImapIdentity, input: { id: number }): Promise<DraftView> {
  const held = await cancelHeldMessage({ userId: identity.userId, id: input.id });
  const bcc = await bccOf(held.raw, held.recipients);
  const p = await parseComposed(held.raw);
  const messageId = p.messageId ?? newMessageId(domainOf(held.sender));
  await withImap(identity, (c) => removeFromRole(c, "sent", messageId), { lane: "aux" }).catch((err) => {
    console.error(`cancel ${input.id}: removing the copy in Sent failed:`, err);
  });
  const toRecipient = (a: string): Recipient => ({ name: "", address: a });
  return saveDraft(
    identity,
    {
      uid: null,
      messageId,
      from: held.sender,
      to: p.to,
      cc: p.cc,
      bcc: bcc.map(toRecipient),
      subject: p.subject,
      html: p.html,
      inReplyTo: p.inReplyTo,
      references: p.references,
      attachments: [],
      forwardOf: null,
      answering: null,
    },
    p.attachments,
  );
}

export interface ScheduledView {
  id: number;
  messageId: string | null;
  subject: string;
  to: string[];
  sendAt: string;
  /** Held for Undo (seconds), rather than scheduled by the user. */
  undo: boolean;
  snippet: string;
}

/** The user's messages waiting to go (scheduled, or within their Undo seconds). */
export async function listScheduled(identity: ImapIdentity): Promise<ScheduledView[]> {
  const held = await listHeldMessages({ userId: identity.userId });
  const out: ScheduledView[] = [];
  for (const h of held) {
    const raw = await readQueuedBlob(h.blobHash);
    const p = raw ? await parseComposed(raw) : null;
    out.push({
      id: h.id,
      messageId: p?.messageId ?? null,
      subject: p?.subject ?? "",
      to: p ? [...p.to, ...p.cc].map(formatRecipient) : h.recipients,
      sendAt: h.sendAt.toISOString(),
      undo: !h.scheduled,
      snippet: (p?.text ?? "").replace(/\s+/g, " ").trim().slice(0, 140),
    });
  }
  return out;
}

/** Files the copies in Sent of scheduled messages whose time has come. Returns how many. */
export async function fileDueSentCopies(identity: ImapIdentity): Promise<number> {
  const due = await claimPendingSentCopies({ userId: identity.userId });
  if (due.length === 0) return 0;
  const filed: number[] = [];
  try {
    await withImap(
      identity,
      async (client) => {
        const sent = await mailboxWithRoleOrThrow(client, "sent");
        for (const d of due) {
          const copy = withBcc(d.raw, await bccOf(d.raw, d.recipients));
          const p = await parseComposed(d.raw);
          await appendTo(client, sent, copy, ["\\Seen"], p.messageId ?? "");
          filed.push(d.id);
        }
      },
      { lane: "aux" },
    );
  } finally {
    const left = due.map((d) => d.id).filter((id) => !filed.includes(id));
    if (left.length) await restorePendingSentCopies({ userId: identity.userId, ids: left });
  }
  return filed.length;
}
