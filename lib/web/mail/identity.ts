import type { ImapIdentity } from "../../imap-client/pool.ts";
import type { CurrentSession } from "../session.ts";

/** Who the web speaks for over IMAP: the signed-in session, by its id. */
export function imapIdentity(session: CurrentSession): ImapIdentity {
  return { sessionId: session.sessionId, userId: session.userId, email: session.email };
}
