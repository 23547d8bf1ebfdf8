import type { DraftView } from "@/lib/web/mail/compose/drafts";
import type { Recipient } from "@/lib/web/mail/compose/addresses";
import type { AttachmentInfo } from "@/lib/web/mail/compose/mime";
import type { SendResult, ScheduledView } from "@/lib/web/mail/compose/send";

export type { DraftView, Recipient, AttachmentInfo, SendResult, ScheduledView };

export interface ComposeContext {
  from: { addresses: string[]; defaultAddress: string; displayName: string };
  signature: string;
  undoSeconds: number;
  timeZone: string;
  maxMessageSize: number;
}

export type ReplyMode = "reply" | "replyAll" | "forward";

export function emptyDraft(from = ""): DraftView {
  return {
    uid: null,
    messageId: "",
    from,
    to: [],
    cc: [],
    bcc: [],
    subject: "",
    html: "",
    inReplyTo: null,
    references: [],
    attachments: [],
    forwardOf: null,
    answering: null,
    savedAt: null,
  };
}
