import { ok, SELECTED, type CommandSpec } from "../command.ts";
import { compileThread, type ThreadNode } from "../compiler.ts";
import { parseThreadArgs } from "../parser.ts";
import { checkCharset, runSearch, type ConvertContext } from "../search-key.ts";
import { threadOrderedSubject, threadReferences } from "../sort-thread.ts";
import { readFieldsInBatches } from "./sort.ts";

// THREAD and UID THREAD (RFC 5256): REFERENCES and ORDEREDSUBJECT over the search result.
export const threadCommand: CommandSpec = {
  names: ["THREAD", "UID THREAD"],
  states: SELECTED,
  forbidsExpunge: true,
  async handle(session, cmd) {
    const args = parseThreadArgs(cmd);
    checkCharset(args.charset);
    const mailbox = session.selected;
    const ctx: ConvertContext = { mailbox, saved: session.savedSearch };
    const hits = await runSearch(session.user.id, args.key, ctx);
    const fields = await readFieldsInBatches(session.user.id, mailbox.id, hits.map((h) => h.uid));
    const threads = args.algorithm === "REFERENCES" ? threadReferences(fields) : threadOrderedSubject(fields);
    const renumber = (n: ThreadNode): ThreadNode => ({
      id: n.id === undefined ? undefined : args.uid ? n.id : mailbox.uids.seqOf(n.id),
      children: n.children.map(renumber),
    });
    await session.send(compileThread(threads.map(renumber)));
    return ok(`${cmd.command} completed`);
  },
};
