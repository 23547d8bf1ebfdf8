import { AUTHENTICATED, ok, type CommandSpec } from "../command.ts";
import { compileNamespace } from "../compiler.ts";
import { parseNoArgs } from "../parser.ts";
import { HIERARCHY_DELIMITER } from "../../mail/special-use.ts";

// NAMESPACE (RFC 2342): one personal namespace, no other users' or shared mailboxes.
export const namespaceCommand: CommandSpec = {
  names: ["NAMESPACE"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    parseNoArgs(cmd);
    await session.send(compileNamespace([{ prefix: "", delimiter: HIERARCHY_DELIMITER }], [], [], session.compileOptions));
    return ok("NAMESPACE completed");
  },
};
