import { ANY_STATE, ok, type CommandSpec } from "../command.ts";
import { parseNoArgs } from "../parser.ts";

// NOOP (RFC 9051 §6.1.2) and CHECK (RFC 3501 §6.4.1, gone from IMAP4rev2 but harmless): the
// client polls for updates, so the selected mailbox is re-read even without an event.
export const noopCommand: CommandSpec = {
  names: ["NOOP", "CHECK"],
  states: ANY_STATE,
  async handle(session, cmd) {
    parseNoArgs(cmd);
    await session.flushUpdates({ allowExpunge: true, force: true });
    return ok(`${cmd.command} completed`);
  },
};
