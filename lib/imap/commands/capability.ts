import { ANY_STATE, ok, type CommandSpec } from "../command.ts";
import { compileCapability } from "../compiler.ts";
import { parseNoArgs } from "../parser.ts";

// CAPABILITY (RFC 9051 §6.1.1): what the server offers in the connection's current state.
export const capabilityCommand: CommandSpec = {
  names: ["CAPABILITY"],
  states: ANY_STATE,
  async handle(session, cmd) {
    parseNoArgs(cmd);
    await session.send(compileCapability(session.capabilities()));
    return ok("CAPABILITY completed");
  },
};
