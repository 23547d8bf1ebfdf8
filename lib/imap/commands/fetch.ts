import { fetchMessages, type FetchedMessage } from "../../mail/fetch.ts";
import { storeFlags } from "../../mail/flags.ts";
import { listExpungedSince } from "../../mail/messages.ts";
import { emailIdOf, threadIdOf } from "../../mail/search.ts";
import { bad, ImapNo, ok, SELECTED, type CommandSpec } from "../command.ts";
import { compileFetch, compileVanished, formatDateTime, type FetchAttribute } from "../compiler.ts";
import { applyPartial, binaryData, bodyOffset, sectionData, toBodyStructure, toEnvelope } from "../message-parts.ts";
import { parseFetchArgs, resolveSequenceSet, type FetchItem } from "../parser.ts";
import type { ImapSession } from "../session.ts";
import { readMessageMeta, type MessageMeta } from "../store-adapter.ts";

// FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9) with CONDSTORE's CHANGEDSINCE and MODSEQ
// (RFC 7162 §3.1.4), QRESYNC's VANISHED (§3.2.6), BINARY (RFC 3516) and OBJECTID (RFC 8474).
// Messages are read from the store in batches (by count, and by bytes when their data is needed)
// and each response is written with backpressure, so memory does not grow with the mailbox.

const FLUSH_BYTES = 256 * 1024;
const VALID_FLAG = /^\\?[^\x00-\x20\x7f-\xff(){%*"\\\]]+$/;

/**
 * ENVELOPEs by blob hash. A stored message's bytes never change (blobs are content-addressed), so
 * neither does its envelope: once read, FETCH ENVELOPE of it needs only the message index, without
 * the join with blobs and the JSON (as Dovecot's index cache keeps imap.envelope). Clients list
 * the same messages again and again (the web's list API on every page). Bounded, oldest out first;
 * shared by every session, which is safe: an envelope is derived from the bytes alone, and a
 * session only ever looks up the hashes of messages its own index query returned.
 */
const ENVELOPE_CACHE_SIZE = 20_000;
const envelopeCache = new Map<string, NonNullable<FetchedMessage["envelope"]>>();

async function fetchWithEnvelopes(userId: number, mailboxId: number, uids: number[]): Promise<FetchedMessage[]> {
  const rows = await fetchMessages({ userId, mailboxId, uids });
  const envelopes = new Map<string, NonNullable<FetchedMessage["envelope"]>>();
  const missing: number[] = [];
  for (const m of rows) {
    const cached = envelopeCache.get(m.blobHash);
    if (cached) envelopes.set(m.blobHash, cached);
    else missing.push(m.uid);
  }
  if (missing.length > 0) {
    for (const m of await fetchMessages({ userId, mailboxId, uids: missing, envelope: true })) {
      if (!m.envelope) continue;
      envelopes.set(m.blobHash, m.envelope);
      if (envelopeCache.size >= ENVELOPE_CACHE_SIZE) envelopeCache.delete(envelopeCache.keys().next().value!);
      envelopeCache.set(m.blobHash, m.envelope);
    }
  }
  for (const m of rows) m.envelope = envelopes.get(m.blobHash);
  return rows;
}

interface Needs {
  envelope: boolean;
  structure: boolean;
  data: boolean;
  setsSeen: boolean;
}

function needsOf(items: FetchItem[]): Needs {
  const n: Needs = { envelope: false, structure: false, data: false, setsSeen: false };
  for (const item of items) {
    switch (item.name) {
      case "ENVELOPE":
        n.envelope = true;
        break;
      case "BODY":
      case "BODYSTRUCTURE":
        n.structure = true;
        break;
      case "RFC822":
      case "RFC822.TEXT":
        n.data = true;
        n.setsSeen = true;
        break;
      case "RFC822.HEADER":
        n.data = true;
        break;
      case "BODY[]":
        n.data = true;
        if (item.section.part.length > 0) n.structure = true;
        if (!item.peek) n.setsSeen = true;
        break;
      case "BINARY[]":
        n.data = true;
        n.structure = true;
        if (!item.peek) n.setsSeen = true;
        break;
      case "BINARY.SIZE[]":
        n.data = true;
        n.structure = true;
        break;
      default:
        break;
    }
  }
  return n;
}

function attributesOf(m: FetchedMessage, items: FetchItem[], flagsChanged: boolean): FetchAttribute[] {
  const attrs: FetchAttribute[] = [];
  const flags = m.flags.filter((f) => VALID_FLAG.test(f));
  // UID first, as most servers do; clients match on it.
  if (items.some((i) => i.name === "UID")) attrs.push({ name: "UID", value: m.uid });
  for (const item of items) {
    switch (item.name) {
      case "UID":
        break;
      case "FLAGS":
        attrs.push({ name: "FLAGS", value: flags });
        break;
      case "INTERNALDATE":
        attrs.push({ name: "INTERNALDATE", value: m.internalDate });
        break;
      case "RFC822.SIZE":
        attrs.push({ name: "RFC822.SIZE", value: m.size });
        break;
      case "ENVELOPE":
        attrs.push({ name: "ENVELOPE", value: toEnvelope(m.envelope) });
        break;
      case "BODY":
      case "BODYSTRUCTURE":
        if (m.structure) attrs.push({ name: item.name, value: toBodyStructure(m.structure) });
        break;
      case "MODSEQ":
        attrs.push({ name: "MODSEQ", value: m.modSeq });
        break;
      case "EMAILID":
        attrs.push({ name: "EMAILID", value: emailIdOf(m.blobHash) });
        break;
      case "THREADID":
        attrs.push({ name: "THREADID", value: threadIdOf(m.threadId) });
        break;
      case "SAVEDATE":
        attrs.push({ name: "SAVEDATE", value: null });
        break;
      case "RFC822":
        attrs.push({ name: "RFC822", value: m.data ?? null });
        break;
      case "RFC822.HEADER":
        attrs.push({ name: "RFC822.HEADER", value: m.data ? m.data.subarray(0, bodyOffset(m.data)) : null });
        break;
      case "RFC822.TEXT":
        attrs.push({ name: "RFC822.TEXT", value: m.data ? m.data.subarray(bodyOffset(m.data)) : null });
        break;
      case "BODY[]": {
        const bytes = m.data ? sectionData(m.data, m.structure, item.section) : null;
        attrs.push({
          name: "BODY[]",
          section: item.section,
          origin: item.partial?.offset,
          // A part that does not exist reads as empty (as Dovecot answers), not NIL.
          value: applyPartial(bytes ?? Buffer.alloc(0), item.partial),
        });
        break;
      }
      case "BINARY[]": {
        const bytes = m.data ? binaryData(m.data, m.structure, item.part) : null;
        if (bytes === "unknown-cte") throw new ImapNo("UNKNOWN-CTE", "Unknown Content-Transfer-Encoding");
        attrs.push({ name: "BINARY[]", part: item.part, origin: item.partial?.offset, value: bytes ? applyPartial(bytes, item.partial) : null });
        break;
      }
      case "BINARY.SIZE[]": {
        const bytes = m.data ? binaryData(m.data, m.structure, item.part) : null;
        if (bytes === "unknown-cte") throw new ImapNo("UNKNOWN-CTE", "Unknown Content-Transfer-Encoding");
        attrs.push({ name: "BINARY.SIZE[]", part: item.part, value: bytes ? bytes.length : 0 });
        break;
      }
    }
  }
  // RFC 9051 §6.4.5: when fetching sets \Seen, the new flags go along.
  if (flagsChanged && !items.some((i) => i.name === "FLAGS")) attrs.push({ name: "FLAGS", value: flags });
  return attrs;
}

/** Groups UIDs so that each group's messages total at most `maxBytes` (at least one each). */
function byBytes(rows: { uid: number; size: number }[], maxBytes: number): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const r of rows) {
    if (current.length > 0 && bytes + r.size > maxBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r.uid);
    bytes += r.size;
  }
  if (current.length) groups.push(current);
  return groups;
}

/** Items answered from the message index alone (no blob): the fast path. */
const INDEX_ITEMS = new Set(["UID", "FLAGS", "MODSEQ", "RFC822.SIZE", "INTERNALDATE", "EMAILID", "THREADID"]);
const INDEX_BATCH = 10_000;

/**
 * `* n FETCH (UID … FLAGS (…) …)` for index-only items, written without the general compiler:
 * every value here is a number, an atom or a fixed-format date (clients run FETCH FLAGS over
 * whole mailboxes, so this is the hot path).
 */
function indexFetchLine(seq: number, m: MessageMeta, items: FetchItem[]): string {
  const parts: string[] = [];
  if (items.some((i) => i.name === "UID")) parts.push(`UID ${m.uid}`);
  for (const item of items) {
    switch (item.name) {
      case "FLAGS":
        parts.push(`FLAGS (${m.flags.filter((f) => VALID_FLAG.test(f)).join(" ")})`);
        break;
      case "MODSEQ":
        parts.push(`MODSEQ (${m.modSeq})`);
        break;
      case "RFC822.SIZE":
        parts.push(`RFC822.SIZE ${m.size}`);
        break;
      case "INTERNALDATE":
        parts.push(`INTERNALDATE "${formatDateTime(m.internalDate!)}"`);
        break;
      case "EMAILID":
        parts.push(`EMAILID (${emailIdOf(m.blobHash!)})`);
        break;
      case "THREADID":
        parts.push(`THREADID (${threadIdOf(m.threadId!)})`);
        break;
    }
  }
  return `* ${seq} FETCH (${parts.join(" ")})\r\n`;
}

async function fetchIndexOnly(session: ImapSession, uids: number[], items: FetchItem[], changedSince: number | undefined): Promise<void> {
  const mailbox = session.selected;
  const names = new Set(items.map((i) => i.name));
  let text = "";
  const read = (from: number) =>
    readMessageMeta({
      userId: session.user.id,
      mailboxId: mailbox.id,
      uids: uids.slice(from, from + INDEX_BATCH),
      dates: names.has("INTERNALDATE"),
      sizes: names.has("RFC822.SIZE"),
      ids: names.has("EMAILID") || names.has("THREADID"),
      changedSince,
    });
  // The next batch is read while this one is written out.
  let next = uids.length > 0 ? read(0) : null;
  for (let i = 0; next; i += INDEX_BATCH) {
    const rows = await next;
    next = i + INDEX_BATCH < uids.length ? read(i + INDEX_BATCH) : null;
    for (const m of rows) {
      if (changedSince !== undefined && m.modSeq <= changedSince) continue;
      const seq = mailbox.uids.seqOf(m.uid);
      if (!seq) continue;
      text += indexFetchLine(seq, m, items);
      if (text.length >= FLUSH_BYTES) {
        await session.send(Buffer.from(text, "latin1"));
        text = "";
      }
    }
  }
  if (text) await session.send(Buffer.from(text, "latin1"));
}

async function fetchUids(session: ImapSession, uids: number[], items: FetchItem[], changedSince: number | undefined): Promise<void> {
  const mailbox = session.selected;
  const userId = session.user.id;
  const needs = needsOf(items);
  const setSeen = needs.setsSeen && !mailbox.readOnly;
  const opts = session.compileOptions;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const out = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await session.send(out);
  };
  const emit = async (buf: Buffer) => {
    if (buf.length >= FLUSH_BYTES) {
      await flush();
      await session.send(buf);
      return;
    }
    pending.push(buf);
    pendingBytes += buf.length;
    if (pendingBytes >= FLUSH_BYTES) await flush();
  };

  const batchSize = needs.data ? Math.min(200, session.limits.fetchBatchSize) : session.limits.fetchBatchSize;
  for (let i = 0; i < uids.length; i += batchSize) {
    const batch = uids.slice(i, i + batchSize);
    const changed = new Set<number>();
    if (setSeen) {
      const r = await storeFlags({ userId, mailboxId: mailbox.id, uids: batch, operation: "add", flags: ["\\Seen"] });
      for (const c of r.changed) {
        changed.add(c.uid);
        mailbox.noteReported(c.uid, c.modSeq);
      }
      mailbox.advanceIfNext(r.modSeq);
    }
    let rows: FetchedMessage[];
    if (!needs.data && needs.envelope && !needs.structure) {
      rows = await fetchWithEnvelopes(userId, mailbox.id, batch);
    } else if (!needs.data) {
      rows = await fetchMessages({ userId, mailboxId: mailbox.id, uids: batch, envelope: needs.envelope, structure: needs.structure });
    } else {
      const meta = await fetchMessages({ userId, mailboxId: mailbox.id, uids: batch });
      const wanted = changedSince === undefined ? meta : meta.filter((m) => m.modSeq > changedSince);
      rows = [];
      for (const group of byBytes(wanted, session.limits.fetchBatchBytes)) {
        const full = await fetchMessages({
          userId,
          mailboxId: mailbox.id,
          uids: group,
          envelope: needs.envelope,
          structure: needs.structure,
          data: true,
        });
        for (const m of full) {
          const seq = mailbox.uids.seqOf(m.uid);
          if (!seq) continue;
          await emit(compileFetch(seq, attributesOf(m, items, changed.has(m.uid)), opts));
        }
      }
      continue;
    }
    for (const m of rows) {
      if (changedSince !== undefined && m.modSeq <= changedSince) continue;
      const seq = mailbox.uids.seqOf(m.uid);
      if (!seq) continue;
      await emit(compileFetch(seq, attributesOf(m, items, changed.has(m.uid)), opts));
    }
  }
  await flush();
}

export const fetchCommand: CommandSpec = {
  names: ["FETCH", "UID FETCH"],
  states: SELECTED,
  forbidsExpunge: true,
  async handle(session, cmd) {
    const args = parseFetchArgs(cmd);
    const mailbox = session.selected;
    if (args.vanished && !session.qresync) return bad("Enable QRESYNC first");
    if (args.changedSince !== undefined || args.items.some((i) => i.name === "MODSEQ")) session.condstoreUsed = true;
    if (!args.uid && !mailbox.validSequenceSet(args.sequence)) return bad("Invalid message sequence number");
    const uids = args.uid
      ? mailbox.uidsForUidSet(args.sequence, session.savedSearch)
      : mailbox.uidsForSequenceSet(args.sequence, session.savedSearch);
    if (args.vanished && args.changedSince !== undefined) {
      // RFC 7162 §3.2.6: UIDs in the requested set expunged since CHANGEDSINCE.
      const ranges = resolveSequenceSet(args.sequence, mailbox.uids.maxUid);
      const gone = (await listExpungedSince({ userId: session.user.id, mailboxId: mailbox.id, sinceModSeq: args.changedSince })).filter(
        (u) => ranges.some((r) => u >= r.start && u <= r.end) && !mailbox.uids.has(u),
      );
      if (gone.length > 0) await session.send(compileVanished(gone, true));
    }
    const setsSeen = needsOf(args.items).setsSeen && !mailbox.readOnly;
    if (!setsSeen && args.items.every((i) => INDEX_ITEMS.has(i.name))) await fetchIndexOnly(session, uids, args.items, args.changedSince);
    else await fetchUids(session, uids, args.items, args.changedSince);
    return ok(`${cmd.command} completed`);
  },
};
