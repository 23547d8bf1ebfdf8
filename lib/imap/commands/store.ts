import { fetchMessages } from "../../mail/fetch.ts";
import { storeFlags } from "../../mail/flags.ts";
import { bad, no, ok, SELECTED, type CommandSpec } from "../command.ts";
import { compileFetch, type FetchAttribute } from "../compiler.ts";
import { parseStoreArgs } from "../parser.ts";

// STORE and UID STORE (RFC 9051 §6.4.6) with CONDSTORE's UNCHANGEDSINCE and MODIFIED
// (RFC 7162 §3.1.3). The new flags go back as FETCH unless .SILENT; once CONDSTORE is on they
// carry MODSEQ, and the UID form carries UID.
export const storeCommand: CommandSpec = {
  names: ["STORE", "UID STORE"],
  states: SELECTED,
  forbidsExpunge: true,
  async handle(session, cmd) {
    const args = parseStoreArgs(cmd);
    const mailbox = session.selected;
    if (mailbox.readOnly) return no("Mailbox is read-only", "READ-ONLY");
    if (args.unchangedSince !== undefined) session.condstoreUsed = true;
    if (!args.uid && !mailbox.validSequenceSet(args.sequence)) return bad("Invalid message sequence number");
    const uids = args.uid
      ? mailbox.uidsForUidSet(args.sequence, session.savedSearch)
      : mailbox.uidsForSequenceSet(args.sequence, session.savedSearch);
    const result = await storeFlags({
      userId: session.user.id,
      mailboxId: mailbox.id,
      uids,
      operation: args.action,
      flags: args.flags,
      unchangedSince: args.unchangedSince,
    });
    const keywords = mailbox.newKeywordsResponse(args.action === "remove" ? [] : args.flags);
    if (keywords) await session.send(keywords);
    const reply = (uid: number, flags: string[], modSeq: number): Buffer | null => {
      const seq = mailbox.uids.seqOf(uid);
      if (!seq) return null;
      const attrs: FetchAttribute[] = [];
      if (args.uid) attrs.push({ name: "UID", value: uid });
      // RFC 7162 §3.1.3: with .SILENT only MODSEQ is reported (the client knows the flags).
      if (!args.silent) attrs.push({ name: "FLAGS", value: flags });
      if (session.condstore) attrs.push({ name: "MODSEQ", value: modSeq });
      return compileFetch(seq, attrs, session.compileOptions);
    };
    mailbox.advanceIfNext(result.modSeq);
    const changed = new Map(result.changed.map((c) => [c.uid, c]));
    for (const c of result.changed) mailbox.noteReported(c.uid, c.modSeq);
    if (!args.silent || session.condstore) {
      const modified = new Set(result.modified);
      // RFC 9051 §6.4.6: the flags of every message in the set go back, changed or not (a
      // message that already had them did not change); with .SILENT only the changed ones.
      const targets = uids.filter((u) => !modified.has(u) && (!args.silent || changed.has(u)));
      for (let i = 0; i < targets.length; i += 5000) {
        const batch = targets.slice(i, i + 5000);
        const unchanged = batch.filter((u) => !changed.has(u));
        const current = new Map(
          (unchanged.length ? await fetchMessages({ userId: session.user.id, mailboxId: mailbox.id, uids: unchanged }) : []).map((m) => [
            m.uid,
            m,
          ]),
        );
        const out: Buffer[] = [];
        for (const uid of batch) {
          const m = changed.get(uid) ?? current.get(uid);
          const line = m ? reply(uid, m.flags, m.modSeq) : null;
          if (line) out.push(line);
        }
        if (out.length) await session.send(Buffer.concat(out));
      }
    }
    if (result.modified.length > 0) {
      const numbers = args.uid ? result.modified : result.modified.map((u) => mailbox.uids.seqOf(u)).filter((s) => s > 0);
      return ok("Conditional STORE failed for some messages", { code: "MODIFIED", set: numbers });
    }
    return ok(`${cmd.command} completed`);
  },
};
