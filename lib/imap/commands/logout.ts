import { ANY_STATE, ok, type CommandSpec } from "../command.ts";
import { compileStatus } from "../compiler.ts";
import { parseNoArgs } from "../parser.ts";

// LOGOUT (RFC 9051 §6.1.3): BYE, then the tagged OK, then the server closes.
export const logoutCommand: CommandSpec = {
  names: ["LOGOUT"],
  states: ANY_STATE,
  async handle(session, cmd) {
    parseNoArgs(cmd);
    await session.send(compileStatus({ status: "BYE", text: "Logging out" }));
    session.logout();
    return ok("LOGOUT completed");
  },
};
