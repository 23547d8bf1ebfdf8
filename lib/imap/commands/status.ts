import { getMailboxOrThrow } from "../../mail/mailboxes.ts";
import { AUTHENTICATED, ok, type CommandSpec } from "../command.ts";
import { compileStatusData } from "../compiler.ts";
import { parseStatusArgs } from "../parser.ts";
import { statusValues } from "../status-values.ts";

// STATUS (RFC 9051 §6.3.11).
export const statusCommand: CommandSpec = {
  names: ["STATUS"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    const { mailbox, items } = parseStatusArgs(cmd, { utf8: session.utf8 });
    const mb = await getMailboxOrThrow({ userId: session.user.id, name: mailbox });
    const values = await statusValues(session, mb, items);
    await session.send(compileStatusData(mb.name, values, session.compileOptions));
    return ok("STATUS completed");
  },
};
