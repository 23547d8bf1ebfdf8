import { createMailbox } from "../../mail/mailboxes.ts";
import { AUTHENTICATED, no, ok, type CommandSpec } from "../command.ts";
import { parseCreateArgs } from "../parser.ts";

// CREATE (RFC 9051 §6.3.4), with CREATE-SPECIAL-USE (RFC 6154 §3). Missing parent levels are
// created too; a trailing delimiter only declares the intent to create children.
const SPECIAL_USES = ["\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash"];

export const createCommand: CommandSpec = {
  names: ["CREATE"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    const args = parseCreateArgs(cmd, { utf8: session.utf8 });
    let specialUse: string | null = null;
    if (args.specialUse.length > 1) return no("Only one special use per mailbox", "USEATTR");
    if (args.specialUse.length === 1) {
      specialUse = SPECIAL_USES.find((u) => u.toLowerCase() === args.specialUse[0].toLowerCase()) ?? null;
      if (!specialUse) return no(`Special use ${args.specialUse[0]} is not supported`, "USEATTR");
    }
    if (args.mailbox.toUpperCase() === "INBOX") return no("INBOX exists already", "ALREADYEXISTS");
    await createMailbox({ userId: session.user.id, name: args.mailbox, specialUse });
    return ok("CREATE completed");
  },
};
