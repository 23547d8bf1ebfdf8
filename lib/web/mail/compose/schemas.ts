import { z } from "zod";
import { recipientListSchema } from "./addresses.ts";

// What the compose API accepts, checked at the edge.

export const messageIdSchema = z.string().trim().max(998).regex(/^<[^<>\s]+>$/, "not a Message-ID");
const mailboxPath = z.string().trim().min(1).max(1000);
const uid = z.coerce.number().int().positive().max(4294967295);
export const attachmentIdSchema = z.string().regex(/^[0-9a-f]{24}$/, "not an attachment id");
export const messageRefSchema = z.object({ mailbox: mailboxPath, uid });

export const composeSchema = z.object({
  /** The draft version the window last saved (its UID in Drafts). */
  uid: uid.nullish(),
  /** Stable for a draft across its versions, and kept by the message it becomes. */
  messageId: messageIdSchema.nullish(),
  /** Sender address (the user's own or an alias of theirs); the account's address when absent. */
  from: z.string().trim().max(254).nullish(),
  to: recipientListSchema,
  cc: recipientListSchema,
  bcc: recipientListSchema,
  subject: z.string().max(998).default(""),
  html: z.string().max(10_000_000).default(""),
  inReplyTo: messageIdSchema.nullish(),
  references: z.array(messageIdSchema).max(200).default([]),
  /** Attachments of the saved draft (or of `forwardOf`) to keep, by id, in order. */
  attachments: z.array(attachmentIdSchema).max(100).default([]),
  /** A forward takes its attachments from the original until the draft has been saved. */
  forwardOf: messageRefSchema.nullish(),
  /** The message being answered (flagged \Answered once the reply goes). */
  answering: messageRefSchema.nullish(),
});
export type ComposeInput = z.infer<typeof composeSchema>;

export const sendSchema = composeSchema.extend({
  /** Send later: an ISO time; absent sends now (held for the user's Undo seconds). */
  sendAt: z.iso.datetime({ offset: true }).nullish(),
});
export type SendInput = z.infer<typeof sendSchema>;

export const draftQuerySchema = z.union([z.object({ uid }), z.object({ messageId: messageIdSchema })]);
export const discardDraftSchema = z.object({ messageId: messageIdSchema });

export const replySchema = messageRefSchema.extend({ mode: z.enum(["reply", "replyAll", "forward"]) });

export const draftAttachmentQuerySchema = z.object({ uid, id: attachmentIdSchema });

export const scheduledParamsSchema = z.object({ id: z.coerce.number().int().positive() });

export const contactsQuerySchema = z.object({ q: z.string().trim().max(200).default(""), limit: z.coerce.number().int().min(1).max(20).default(8) });
