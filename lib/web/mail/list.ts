import { listConversations, listStarred, type ConversationPage } from "../../imap-client/conversations.ts";
import { listMailboxes, type MailboxSummary } from "../../imap-client/mailboxes.ts";
import { withImap, type ImapIdentity } from "../../imap-client/pool.ts";
import { getMailSettings } from "./compose/settings.ts";
import { searchConversations } from "./search-query.ts";

// The list side of the webmail: folders with counts, and pages of conversations. A folder's pages
// use the session's main connection (the folder stays selected between pages); the Starred view
// walks every folder, so it uses the second one.

export type ListInput = {
  view: "mailbox" | "starred";
  mailbox: string;
  cursor?: string | null;
  limit?: number;
  q?: string | null;
};

export function listPage(identity: ImapIdentity, input: ListInput): Promise<ConversationPage> {
  if (input.q) {
    // Gmail's operators (from:, in:, before:, has:attachment, …) over every folder but Trash and Junk.
    const q = input.q;
    return getMailSettings({ userId: identity.userId }).then((s) =>
      withImap(identity, (c) => searchConversations(c, { query: q, cursor: input.cursor, limit: input.limit, timeZone: s.timeZone, me: identity.email }), { lane: "aux" }),
    );
  }
  if (input.view === "starred") {
    return withImap(identity, (c) => listStarred(c, { cursor: input.cursor, limit: input.limit }), { lane: "aux" });
  }
  return withImap(identity, (c) => listConversations(c, { mailbox: input.mailbox, cursor: input.cursor, limit: input.limit, query: input.q }));
}

export function listFolders(identity: ImapIdentity): Promise<MailboxSummary[]> {
  return withImap(identity, (c) => listMailboxes(c));
}
