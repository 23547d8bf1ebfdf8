import { bad, ok, type CommandSpec } from "../command.ts";
import { parseNoArgs } from "../parser.ts";

// STARTTLS (RFC 9051 §6.2.1): only on the plain port, only before login, only once. The switch
// happens after the tagged OK; anything the client pipelined behind the command is discarded.
export const starttlsCommand: CommandSpec = {
  names: ["STARTTLS"],
  states: ["not-authenticated"],
  async handle(session, cmd) {
    parseNoArgs(cmd);
    if (session.io.secure || !session.io.canStartTls) return bad("TLS is already active");
    return { ...ok("Begin TLS negotiation now"), after: () => session.io.startTls() };
  },
};
