import { copyMessages, moveMessages } from "../../mail/copy.ts";
import { bad, no, ok, SELECTED, type CommandSpec } from "../command.ts";
import { compileStatus } from "../compiler.ts";
import { parseCopyArgs } from "../parser.ts";
import { findMailbox } from "../store-adapter.ts";

// COPY, MOVE (RFC 9051 §6.4.7, §6.4.8; RFC 6851) and their UID forms, with UIDPLUS's COPYUID
// (RFC 4315 §3). MOVE reports COPYUID in an untagged OK before the EXPUNGEs (RFC 6851 §4.3).

export const copyCommand: CommandSpec = {
  names: ["COPY", "UID COPY", "MOVE", "UID MOVE"],
  states: SELECTED,
  async handle(session, cmd) {
    const args = parseCopyArgs(cmd, { utf8: session.utf8 });
    const mailbox = session.selected;
    const move = cmd.command.endsWith("MOVE");
    if (!args.uid && !mailbox.validSequenceSet(args.sequence)) return bad("Invalid message sequence number");
    const uids = args.uid
      ? mailbox.uidsForUidSet(args.sequence, session.savedSearch)
      : mailbox.uidsForSequenceSet(args.sequence, session.savedSearch);
    const target = await findMailbox({ userId: session.user.id, name: args.mailbox });
    if (!target) return no("No such mailbox", "TRYCREATE");
    const toMailboxId = target.id;
    if (move && mailbox.readOnly) return no("Mailbox is read-only", "READ-ONLY");
    if (move && toMailboxId === mailbox.id) return no("Cannot move a message into its own mailbox", "CANNOT");
    const userId = session.user.id;
    const known = uids.filter((u) => !mailbox.pendingExpunges.has(u));
    if (known.length === 0) return ok(`${cmd.command} completed: no messages`);
    if (!move) {
      const r = await copyMessages({ userId, fromMailboxId: mailbox.id, uids: known, toMailboxId });
      if (toMailboxId === mailbox.id) await session.flushUpdates({ allowExpunge: true, force: true });
      if (r.mapping.length === 0) return ok(`${cmd.command} completed: no messages`);
      return ok(`${cmd.command} completed`, {
        code: "COPYUID",
        uidValidity: r.uidValidity,
        sourceUids: r.mapping.map((m) => m[0]),
        destUids: r.mapping.map((m) => m[1]),
      });
    }
    const r = await moveMessages({ userId, fromMailboxId: mailbox.id, uids: known, toMailboxId });
    if (r.mapping.length > 0) {
      await session.send(
        compileStatus(
          {
            status: "OK",
            code: { code: "COPYUID", uidValidity: r.uidValidity, sourceUids: r.mapping.map((m) => m[0]), destUids: r.mapping.map((m) => m[1]) },
            text: "Moved",
          },
          session.compileOptions,
        ),
      );
    }
    await session.send(mailbox.expungeOwn(r.expunged, { qresync: session.qresync }));
    mailbox.advanceIfNext(r.sourceModSeq);
    return ok(`${cmd.command} completed`);
  },
};
