import type { CommandSpec } from "../command.ts";
import { parseLoginArgs } from "../parser.ts";
import { passwordLogin, requireTls } from "./login-common.ts";

// LOGIN (RFC 9051 §6.2.3): user name and password (or app password), after TLS only.
export const loginCommand: CommandSpec = {
  names: ["LOGIN"],
  states: ["not-authenticated"],
  async handle(session, cmd) {
    const { username, password } = parseLoginArgs(cmd);
    return requireTls(session) ?? passwordLogin(session, username, password);
  },
};
