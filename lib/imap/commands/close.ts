import { expungeMessages } from "../../mail/expunge.ts";
import { ok, SELECTED, type CommandSpec } from "../command.ts";
import { parseNoArgs } from "../parser.ts";

// CLOSE (RFC 9051 §6.4.1): silently expunges \Deleted messages (unless read-only), then back to
// Authenticated. UNSELECT (RFC 3691): the same without expunging.
export const closeCommand: CommandSpec = {
  names: ["CLOSE", "UNSELECT"],
  states: SELECTED,
  async handle(session, cmd) {
    parseNoArgs(cmd);
    const mailbox = session.selected;
    session.deselect();
    if (cmd.command === "CLOSE" && !mailbox.readOnly) {
      await expungeMessages({ userId: session.user.id, mailboxId: mailbox.id });
    }
    return ok(`${cmd.command} completed`);
  },
};
