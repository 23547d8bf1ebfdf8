import { listExpungedSince, listMessages } from "../../mail/messages.ts";
import { listMailboxes } from "../../mail/mailboxes.ts";
import { mailboxIdOf } from "../../mail/search.ts";
import { HIERARCHY_DELIMITER } from "../../mail/special-use.ts";
import { AUTHENTICATED, bad, no, ok, type CommandSpec } from "../command.ts";
import {
  compileFetch,
  compileFlags,
  compileList,
  compileMessageCount,
  compileStatus,
  compileVanished,
  type ResponseCode,
} from "../compiler.ts";
import { parseSelectArgs, resolveSequenceSet, type QresyncParams } from "../parser.ts";
import { SelectedMailbox } from "../selected-mailbox.ts";
import type { ImapSession } from "../session.ts";
import { findMailbox, readMailboxIndex } from "../store-adapter.ts";

// SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3), with CONDSTORE (RFC 7162 §3.1.8) and QRESYNC
// (RFC 7162 §3.2.5: VANISHED (EARLIER) and the flags changed since the client's modseq).

async function qresyncReplay(session: ImapSession, mailbox: SelectedMailbox, q: QresyncParams): Promise<void> {
  // A different UIDVALIDITY means the client's cache is void: nothing to replay.
  if (q.uidValidity !== mailbox.uidValidity) return;
  const userId = session.user.id;
  const [expunged, changed] = await Promise.all([
    listExpungedSince({ userId, mailboxId: mailbox.id, sinceModSeq: q.modseq }),
    listMessages({ userId, mailboxId: mailbox.id, changedSince: q.modseq }),
  ]);
  let vanished = expunged;
  if (q.knownUids) {
    const ranges = resolveSequenceSet(q.knownUids, 0);
    vanished = expunged.filter((u) => ranges.some((r) => u >= r.start && u <= r.end));
  }
  if (vanished.length > 0) await session.send(compileVanished(vanished, true));
  for (const m of changed) {
    const seq = mailbox.uids.seqOf(m.uid);
    if (!seq) continue;
    await session.send(
      compileFetch(
        seq,
        [
          { name: "UID", value: m.uid },
          { name: "FLAGS", value: m.flags },
          { name: "MODSEQ", value: m.modSeq },
        ],
        session.compileOptions,
      ),
    );
  }
}

export const selectCommand: CommandSpec = {
  names: ["SELECT", "EXAMINE"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    const args = parseSelectArgs(cmd, { utf8: session.utf8 });
    // RFC 7162 §3.2.5: QRESYNC parameters only once the client enabled QRESYNC.
    if (args.qresync && !session.qresync) return bad("Enable QRESYNC first");
    const wasSelected = session.state.kind === "selected";
    // RFC 9051 §6.3.2: the previous mailbox is deselected even if this SELECT fails.
    session.deselect();
    if (wasSelected && (session.qresync || session.rev2)) {
      await session.send(compileStatus({ status: "OK", code: "CLOSED", text: "Previous mailbox closed" }));
    }
    if (args.condstore) session.condstoreUsed = true;
    const userId = session.user.id;
    const info = await findMailbox({ userId, name: args.mailbox });
    const index = info && (await readMailboxIndex({ userId, mailboxId: info.id, firstUnseen: !session.rev2 }));
    if (!info || !index) return no("No such mailbox", "NONEXISTENT");
    const readOnly = cmd.command === "EXAMINE";
    const mailbox = new SelectedMailbox({
      id: info.id,
      name: info.name,
      readOnly,
      uidValidity: index.uidValidity,
      uids: index.uids,
      highestModSeq: index.highestModSeq,
      flags: index.flags,
    });
    const opts = session.compileOptions;
    const untagged = (code: ResponseCode, text: string) => compileStatus({ status: "OK", code, text }, opts);
    const out: Buffer[] = [compileFlags([...mailbox.flags]), compileMessageCount(mailbox.exists, "EXISTS")];
    if (!session.rev2) {
      out.push(compileMessageCount(0, "RECENT"));
      const firstUnseen = index.firstUnseenUid === null ? 0 : mailbox.uids.seqOf(index.firstUnseenUid);
      if (firstUnseen) out.push(untagged({ code: "UNSEEN", value: firstUnseen }, `Message ${firstUnseen} is the first unseen`));
    }
    out.push(
      untagged({ code: "UIDVALIDITY", value: index.uidValidity }, "UIDs valid"),
      untagged({ code: "UIDNEXT", value: index.uidNext }, "Predicted next UID"),
      untagged({ code: "PERMANENTFLAGS", flags: mailbox.permanentFlags() }, readOnly ? "Read-only mailbox" : "Flags permitted"),
      untagged({ code: "HIGHESTMODSEQ", value: index.highestModSeq }, "Highest"),
      untagged({ code: "MAILBOXID", id: mailboxIdOf(info.id) }, "Ok"),
    );
    if (session.rev2) {
      // RFC 9051 §6.3.2: an IMAP4rev2 SELECT answers with the mailbox's LIST response too.
      const all = await listMailboxes({ userId, withCounts: false });
      const attributes = [all.some((m) => m.name.startsWith(info.name + HIERARCHY_DELIMITER)) ? "\\HasChildren" : "\\HasNoChildren"];
      const specialUse = all.find((m) => m.id === info.id)?.specialUse;
      if (specialUse) attributes.push(specialUse);
      out.push(compileList({ attributes, delimiter: HIERARCHY_DELIMITER, mailbox: info.name }, opts));
    }
    await session.send(Buffer.concat(out));
    if (args.qresync) await qresyncReplay(session, mailbox, args.qresync);
    session.select(mailbox);
    return ok(`${cmd.command} completed`, readOnly ? "READ-ONLY" : "READ-WRITE");
  },
};
