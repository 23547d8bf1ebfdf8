import { deleteMailbox, normalizeMailboxName } from "../../mail/mailboxes.ts";
import { AUTHENTICATED, ok, type CommandSpec } from "../command.ts";
import { compileStatus } from "../compiler.ts";
import { parseMailboxArgs } from "../parser.ts";

// DELETE (RFC 9051 §6.3.5). Deleting the mailbox this session has selected closes it first
// ([CLOSED], RFC 7162 §3.2.11) rather than leaving the session on a mailbox that is gone.
export const deleteCommand: CommandSpec = {
  names: ["DELETE"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    const { mailbox } = parseMailboxArgs(cmd, { utf8: session.utf8 });
    const name = normalizeMailboxName(mailbox);
    await deleteMailbox({ userId: session.user.id, name });
    const selected = session.selectedOrNull;
    if (selected && selected.name === name) {
      session.deselect();
      await session.send(compileStatus({ status: "OK", code: "CLOSED", text: "The selected mailbox was deleted" }));
    }
    return ok("DELETE completed");
  },
};
