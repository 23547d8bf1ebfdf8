import { appendMessages } from "../../mail/append.ts";
import { AUTHENTICATED, no, ok, type CommandSpec } from "../command.ts";
import { parseAppendArgs } from "../parser.ts";
import { findMailbox } from "../store-adapter.ts";

// APPEND (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502: all or nothing), UIDPLUS's APPENDUID
// (RFC 4315 §3), APPENDLIMIT (RFC 7889; the reader refuses larger literals before they arrive)
// and BINARY literal8 (RFC 3516 §4.4, stored as sent).
export const appendCommand: CommandSpec = {
  names: ["APPEND"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    const args = parseAppendArgs(cmd, { utf8: session.utf8 });
    const userId = session.user.id;
    const target = await findMailbox({ userId, name: args.mailbox });
    // RFC 9051 §6.3.12: a missing target gets [TRYCREATE].
    if (!target) return no("No such mailbox", "TRYCREATE");
    const mailboxId = target.id;
    for (const m of args.messages) {
      if (m.message.length === 0) return no("Empty message", "CANNOT");
      if (m.message.length > session.limits.appendLimit) return no("Message too large", "TOOBIG");
    }
    const result = await appendMessages({
      userId,
      mailboxId,
      messages: args.messages.map((m) => ({ raw: m.message, flags: m.flags, internalDate: m.internalDate })),
    });
    // Appending to the selected mailbox: EXISTS goes out before the tagged OK.
    if (session.selectedOrNull?.id === mailboxId) await session.flushUpdates({ allowExpunge: true, force: true });
    return ok("APPEND completed", { code: "APPENDUID", uidValidity: result.uidValidity, uids: result.uids });
  },
};
