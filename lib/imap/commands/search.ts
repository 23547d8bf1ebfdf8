import { ok, SELECTED, type CommandSpec } from "../command.ts";
import { compileEsearch, compileSearch } from "../compiler.ts";
import { parseSearchArgs, type SearchReturnOption } from "../parser.ts";
import { checkCharset, runSearch, type ConvertContext } from "../search-key.ts";

// SEARCH and UID SEARCH (RFC 9051 §6.4.4) with ESEARCH (RFC 4731), SEARCHRES (RFC 5182) and
// CONDSTORE's MODSEQ (RFC 7162 §3.1.5). IMAP4rev2 sessions always get ESEARCH answers.

/** RFC 5182 §2.4: what SAVE keeps, given the other return options. */
function toSave(options: SearchReturnOption[], uids: number[]): number[] {
  const min = options.includes("MIN");
  const max = options.includes("MAX");
  if ((min || max) && !options.includes("ALL") && !options.includes("COUNT")) {
    const kept: number[] = [];
    if (min && uids.length) kept.push(uids[0]);
    if (max && uids.length && uids[uids.length - 1] !== kept[0]) kept.push(uids[uids.length - 1]);
    return kept;
  }
  return uids;
}

export const searchCommand: CommandSpec = {
  names: ["SEARCH", "UID SEARCH"],
  states: SELECTED,
  forbidsExpunge: true,
  async handle(session, cmd) {
    const args = parseSearchArgs(cmd);
    checkCharset(args.charset);
    const mailbox = session.selected;
    const ctx: ConvertContext = { mailbox, saved: session.savedSearch };
    const options = args.returnOptions ?? (session.rev2 ? (["ALL"] as SearchReturnOption[]) : undefined);
    if (options?.includes("SAVE")) session.savedSearch = [];
    const hits = await runSearch(session.user.id, args.key, ctx);
    if (ctx.usesModSeq) session.condstoreUsed = true;
    const numbers = args.uid ? hits.map((h) => h.uid) : hits.map((h) => mailbox.uids.seqOf(h.uid));
    const modseq = ctx.usesModSeq && hits.length > 0 ? hits.reduce((m, h) => Math.max(m, h.modSeq), 0) : undefined;
    if (!options) {
      await session.send(compileSearch(numbers, { modseq }));
      return ok(`${cmd.command} completed`);
    }
    if (options.includes("SAVE")) session.savedSearch = toSave(options, hits.map((h) => h.uid));
    const shown = options.filter((o) => o !== "SAVE");
    // RFC 5182 §2.1: SAVE alone gives no ESEARCH response.
    if (shown.length > 0) {
      await session.send(
        compileEsearch({
          tag: cmd.tag,
          uid: args.uid,
          min: shown.includes("MIN") && numbers.length ? numbers[0] : undefined,
          max: shown.includes("MAX") && numbers.length ? numbers[numbers.length - 1] : undefined,
          all: shown.includes("ALL") ? numbers : undefined,
          count: shown.includes("COUNT") ? numbers.length : undefined,
          modseq,
        }),
      );
    }
    return ok(`${cmd.command} completed`);
  },
};
