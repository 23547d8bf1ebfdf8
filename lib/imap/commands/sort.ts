import { ok, SELECTED, type CommandSpec } from "../command.ts";
import { compileSearch } from "../compiler.ts";
import { parseSortArgs } from "../parser.ts";
import { checkCharset, runSearch, type ConvertContext } from "../search-key.ts";
import { sortMessages } from "../sort-thread.ts";
import { readSortFields, type SortFields } from "../store-adapter.ts";

// SORT and UID SORT (RFC 5256; DISPLAYFROM/DISPLAYTO from RFC 5957).

export async function readFieldsInBatches(userId: number, mailboxId: number, uids: number[]): Promise<SortFields[]> {
  const out: SortFields[] = [];
  for (let i = 0; i < uids.length; i += 10_000) {
    out.push(...(await readSortFields({ userId, mailboxId, uids: uids.slice(i, i + 10_000) })));
  }
  return out;
}

export const sortCommand: CommandSpec = {
  names: ["SORT", "UID SORT"],
  states: SELECTED,
  forbidsExpunge: true,
  async handle(session, cmd) {
    const args = parseSortArgs(cmd);
    checkCharset(args.charset);
    const mailbox = session.selected;
    const ctx: ConvertContext = { mailbox, saved: session.savedSearch };
    const hits = await runSearch(session.user.id, args.key, ctx);
    if (ctx.usesModSeq) session.condstoreUsed = true;
    const fields = await readFieldsInBatches(session.user.id, mailbox.id, hits.map((h) => h.uid));
    const order = sortMessages(fields, args.criteria);
    const numbers = args.uid ? order : order.map((u) => mailbox.uids.seqOf(u));
    const modseq = ctx.usesModSeq && hits.length > 0 ? hits.reduce((m, h) => Math.max(m, h.modSeq), 0) : undefined;
    await session.send(compileSearch(numbers, { command: "SORT", modseq }));
    return ok(`${cmd.command} completed`);
  },
};
