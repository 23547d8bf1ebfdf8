import { z } from "zod";
import { MESSAGE_ACTIONS } from "../../imap-client/actions.ts";

// What the mail API accepts, checked at the edge.

const mailboxPath = z.string().trim().min(1).max(1000);
const uid = z.coerce.number().int().positive().max(4294967295);

export const listConversationsSchema = z.object({
  mailbox: mailboxPath.default("INBOX"),
  view: z.enum(["mailbox", "starred"]).default("mailbox"),
  cursor: z
    .string()
    .max(100)
    .regex(/^(m\.\d+\.\d+\.\d+|s\.\d+)$/, "invalid cursor")
    .nullish(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  q: z.string().trim().max(500).nullish(),
});

export const conversationParamsSchema = z.object({
  // A THREADID (RFC 8474 objectid) or "<mailbox>#<uid>" for a message without one.
  id: z.string().min(1).max(1100),
});

export const conversationQuerySchema = z.object({ mailbox: mailboxPath.default("INBOX") });

export const messageQuerySchema = z.object({
  mailbox: mailboxPath,
  uid,
  images: z.enum(["0", "1"]).default("0"),
});

export const attachmentQuerySchema = z.object({
  mailbox: mailboxPath,
  uid,
  part: z.string().regex(/^\d+(\.\d+){0,20}$/, "invalid part"),
});

export const actionSchema = z.object({
  action: z.enum(MESSAGE_ACTIONS),
  targets: z
    .array(z.object({ mailbox: mailboxPath, uids: z.array(uid).min(1).max(10_000) }))
    .min(1)
    .max(200)
    .refine((t) => t.reduce((n, x) => n + x.uids.length, 0) <= 10_000, "at most 10,000 messages at once"),
  destination: mailboxPath.nullish(),
});

export const createMailboxSchema = z.object({ name: z.string().min(1).max(200), parent: mailboxPath.nullish() });
export const renameMailboxSchema = z.object({ path: mailboxPath, newName: z.string().min(1).max(200) });
export const deleteMailboxSchema = z.object({ path: mailboxPath });

export const imageSenderSchema = z.object({ address: z.string().trim().toLowerCase().email().max(320) });

export const eventsQuerySchema = z.object({ mailbox: mailboxPath.default("INBOX") });
