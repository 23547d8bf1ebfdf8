import type { MailboxInfo } from "../mail/mailboxes.ts";
import { mailboxIdOf } from "../mail/search.ts";
import type { StatusValues } from "./compiler.ts";
import type { StatusItem } from "./parser.ts";
import type { ImapSession } from "./session.ts";
import { countDeleted } from "./store-adapter.ts";

// STATUS data (RFC 9051 §6.3.11, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE, RFC 8474 MAILBOXID,
// RFC 7889 APPENDLIMIT) from a mailbox's counters, shared by STATUS and LIST-STATUS.
export async function statusValues(session: ImapSession, mb: MailboxInfo, items: StatusItem[]): Promise<StatusValues> {
  const values: StatusValues = {};
  for (const item of items) {
    switch (item) {
      case "MESSAGES":
        values.MESSAGES = mb.messages;
        break;
      case "RECENT":
        // \Recent is not kept (it is gone from IMAP4rev2): no message is ever recent.
        values.RECENT = 0;
        break;
      case "UIDNEXT":
        values.UIDNEXT = mb.uidNext;
        break;
      case "UIDVALIDITY":
        values.UIDVALIDITY = mb.uidValidity;
        break;
      case "UNSEEN":
        values.UNSEEN = mb.unseen;
        break;
      case "DELETED":
        values.DELETED = await countDeleted({ userId: session.user.id, mailboxId: mb.id });
        break;
      case "SIZE":
        values.SIZE = mb.size;
        break;
      case "HIGHESTMODSEQ":
        session.condstoreUsed = true;
        values.HIGHESTMODSEQ = mb.highestModSeq;
        break;
      case "MAILBOXID":
        values.MAILBOXID = mailboxIdOf(mb.id);
        break;
      case "APPENDLIMIT":
        values.APPENDLIMIT = session.limits.appendLimit;
        break;
    }
  }
  return values;
}
