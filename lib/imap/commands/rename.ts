import { normalizeMailboxName, renameMailbox } from "../../mail/mailboxes.ts";
import { HIERARCHY_DELIMITER } from "../../mail/special-use.ts";
import { AUTHENTICATED, ok, type CommandSpec } from "../command.ts";
import { parseRenameArgs } from "../parser.ts";

// RENAME (RFC 9051 §6.3.6): children move along; renaming INBOX is refused by the store.
export const renameCommand: CommandSpec = {
  names: ["RENAME"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    const { from, to } = parseRenameArgs(cmd, { utf8: session.utf8 });
    await renameMailbox({ userId: session.user.id, from, to });
    const selected = session.selectedOrNull;
    const oldName = normalizeMailboxName(from);
    const newName = normalizeMailboxName(to);
    if (selected && (selected.name === oldName || selected.name.startsWith(oldName + HIERARCHY_DELIMITER))) {
      selected.name = newName + selected.name.slice(oldName.length);
    }
    return ok("RENAME completed");
  },
};
