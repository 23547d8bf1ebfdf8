import { expungeMessages } from "../../mail/expunge.ts";
import { no, ok, SELECTED, type CommandSpec } from "../command.ts";
import { parseExpungeArgs } from "../parser.ts";

// EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1): removes \Deleted messages (only
// those in the UID set for the UID form) and reports each as EXPUNGE, or VANISHED under QRESYNC.
export const expungeCommand: CommandSpec = {
  names: ["EXPUNGE", "UID EXPUNGE"],
  states: SELECTED,
  async handle(session, cmd) {
    const args = parseExpungeArgs(cmd);
    const mailbox = session.selected;
    if (mailbox.readOnly) return no("Mailbox is read-only", "READ-ONLY");
    const uids = args.uids ? mailbox.uidsForUidSet(args.uids, session.savedSearch) : undefined;
    if (uids && uids.length === 0) return ok(`${cmd.command} completed`);
    const r = await expungeMessages({ userId: session.user.id, mailboxId: mailbox.id, uids });
    // Messages the client has not been told about yet (appended meanwhile) are not in its map:
    // expungeOwn skips them, and the next EXISTS will not count them either.
    await session.send(mailbox.expungeOwn(r.uids, { qresync: session.qresync }));
    mailbox.advanceIfNext(r.modSeq);
    if (r.modSeq !== null && session.condstore) {
      // RFC 7162 §3.1.10 (HIGHESTMODSEQ after EXPUNGE): only true once everything older went out.
      await session.flushUpdates({ allowExpunge: true, force: true });
      return ok(`${cmd.command} completed`, { code: "HIGHESTMODSEQ", value: Math.max(r.modSeq, mailbox.knownModSeq) });
    }
    return ok(`${cmd.command} completed`);
  },
};
