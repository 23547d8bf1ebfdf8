import { setSubscribed } from "../../mail/mailboxes.ts";
import { AUTHENTICATED, ok, type CommandSpec } from "../command.ts";
import { parseMailboxArgs } from "../parser.ts";

// SUBSCRIBE / UNSUBSCRIBE (RFC 9051 §6.3.7, §6.3.8). Subscriptions live on the mailbox row, so
// only existing mailboxes can be subscribed.
export const subscribeCommand: CommandSpec = {
  names: ["SUBSCRIBE", "UNSUBSCRIBE"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    const { mailbox } = parseMailboxArgs(cmd, { utf8: session.utf8 });
    await setSubscribed({ userId: session.user.id, name: mailbox, subscribed: cmd.command === "SUBSCRIBE" });
    return ok(`${cmd.command} completed`);
  },
};
