import { getMailboxOrThrow } from "../../mail/mailboxes.ts";
import { getQuota } from "../../mail/messages.ts";
import { AUTHENTICATED, no, ok, type CommandSpec } from "../command.ts";
import { compileQuota, compileQuotaRoot } from "../compiler.ts";
import { parseGetQuotaArgs, parseMailboxArgs } from "../parser.ts";
import type { ImapSession } from "../session.ts";

// QUOTA (RFC 9208): one quota root "" per user, the STORAGE resource in KiB. Limits are the
// operator's business: SETQUOTA is refused.

async function quotaResponse(session: ImapSession): Promise<Buffer> {
  const q = await getQuota({ userId: session.user.id });
  return compileQuota("", [{ name: "STORAGE", usage: Math.ceil(q.usedBytes / 1024), limit: Math.floor(q.quotaBytes / 1024) }]);
}

export const getQuotaCommand: CommandSpec = {
  names: ["GETQUOTA"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    const { root } = parseGetQuotaArgs(cmd);
    if (root !== "") return no("No such quota root", "NONEXISTENT");
    await session.send(await quotaResponse(session));
    return ok("GETQUOTA completed");
  },
};

export const getQuotaRootCommand: CommandSpec = {
  names: ["GETQUOTAROOT"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    const { mailbox } = parseMailboxArgs(cmd, { utf8: session.utf8 });
    const mb = await getMailboxOrThrow({ userId: session.user.id, name: mailbox });
    await session.send([compileQuotaRoot(mb.name, [""], session.compileOptions), await quotaResponse(session)]);
    return ok("GETQUOTAROOT completed");
  },
};

export const setQuotaCommand: CommandSpec = {
  names: ["SETQUOTA"],
  states: AUTHENTICATED,
  async handle() {
    return no("Quotas are set by the administrator", "NOPERM");
  },
};
