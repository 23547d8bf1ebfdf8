import { ANY_STATE, ok, type CommandSpec } from "../command.ts";
import { compileId } from "../compiler.ts";
import { parseIdArgs } from "../parser.ts";

// ID (RFC 2971): remember what the client says it is (for logs), say what the server is.
export const idCommand: CommandSpec = {
  names: ["ID"],
  states: ANY_STATE,
  async handle(session, cmd) {
    const { params } = parseIdArgs(cmd);
    if (params) {
      const kept: Record<string, string | null> = {};
      // RFC 2971 §3.3: at most 30 pairs, short values; keep the first few for the log only.
      for (const [k, v] of Object.entries(params).slice(0, 30)) kept[k.slice(0, 30)] = v === null ? null : v.slice(0, 1024);
      session.clientId = kept;
    }
    await session.send(compileId({ name: "Pigeon", vendor: "Pigeon", "support-url": session.config.publicUrl }));
    return ok("ID completed");
  },
};
