import { searchMessages, type SearchKey as StoreKey } from "../mail/search.ts";
import { ImapNo } from "./command.ts";
import { resolveSequenceSet, type SearchKey, type SequenceSet } from "./parser.ts";
import type { SelectedMailbox } from "./selected-mailbox.ts";

// From the parser's search-key AST (RFC 9051 §6.4.4) to lib/mail's neutral one: sequence numbers
// become the UIDs this session knows, \Recent (not kept) matches nothing, TEXT and BODY go to the
// full-text index, address and subject keys to header matching.

const CHARSETS = ["UTF-8", "US-ASCII"];

export function checkCharset(charset: string | undefined): void {
  if (charset !== undefined && !CHARSETS.includes(charset.toUpperCase())) {
    throw new ImapNo({ code: "BADCHARSET", charsets: CHARSETS }, `Charset ${charset} is not supported`);
  }
}

/** Builds an OR of ranges as a balanced tree (bounded SQL nesting). */
function anyOf(keys: StoreKey[]): StoreKey {
  if (keys.length === 0) return { type: "none" };
  if (keys.length === 1) return keys[0];
  const mid = keys.length >> 1;
  return { type: "or", left: anyOf(keys.slice(0, mid)), right: anyOf(keys.slice(mid)) };
}

function uidSetKey(uids: number[]): StoreKey {
  return uids.length === 0 ? { type: "none" } : { type: "uid", uids };
}

function seqSetKey(mailbox: SelectedMailbox, set: SequenceSet, saved: number[]): StoreKey {
  return uidSetKey(mailbox.uidsForSequenceSet(set, saved));
}

function uidRangesKey(mailbox: SelectedMailbox, set: SequenceSet, saved: number[]): StoreKey {
  if (set.saved) return uidSetKey(saved);
  const ranges = resolveSequenceSet(set, mailbox.uids.maxUid);
  if (ranges.length <= 64) return anyOf(ranges.map((r) => ({ type: "uidRange", from: r.start, to: r.end })));
  return uidSetKey(mailbox.uidsForUidSet(set, saved));
}

const HEADER_FIELDS: Record<string, string> = { BCC: "bcc", CC: "cc", FROM: "from", SUBJECT: "subject", TO: "to" };

export interface ConvertContext {
  mailbox: SelectedMailbox;
  saved: number[];
  /** Set when the key uses MODSEQ (RFC 7162 §3.1.5: the answer then carries the highest modseq). */
  usesModSeq?: boolean;
}

export function toStoreKey(key: SearchKey, ctx: ConvertContext): StoreKey {
  switch (key.type) {
    case "all":
      return { type: "all" };
    case "and":
      return { type: "and", keys: key.keys.map((k) => toStoreKey(k, ctx)) };
    case "or":
      return { type: "or", left: toStoreKey(key.left, ctx), right: toStoreKey(key.right, ctx) };
    case "not":
      return { type: "not", key: toStoreKey(key.key, ctx) };
    case "seq":
      return seqSetKey(ctx.mailbox, key.set, ctx.saved);
    case "uid":
      return uidRangesKey(ctx.mailbox, key.set, ctx.saved);
    case "flag":
      if (key.flag.toLowerCase() === "\\recent") return { type: key.present ? "none" : "all" };
      return { type: "flag", flag: key.flag, present: key.present };
    case "contains":
      // TEXT and BODY are answered from the full-text index (issue 4): its vector holds the body
      // text with subject, addresses and attachment names. lib/mail's "text" key would also scan
      // every raw header with ILIKE, which costs seconds on a large mailbox.
      if (key.field === "TEXT" || key.field === "BODY") return { type: "body", value: key.value };
      return { type: "header", field: HEADER_FIELDS[key.field], value: key.value };
    case "header":
      return { type: "header", field: key.name, value: key.value };
    case "date":
      // SAVEDATE is not kept: the date a message was saved is its INTERNALDATE here.
      return { type: "date", field: key.field === "sent" ? "sent" : "internal", op: key.op, date: new Date(`${key.date}T00:00:00Z`) };
    case "size":
      return { type: "size", op: key.op, bytes: key.size };
    case "modseq":
      ctx.usesModSeq = true;
      return { type: "modseq", modSeq: key.modseq };
    case "emailid":
      return { type: "emailId", id: key.id };
    case "threadid":
      return { type: "threadId", id: key.id };
    case "age":
      return { type: "age", op: key.op, seconds: key.seconds };
    case "savedatesupported":
      return { type: "none" };
  }
}

/** UIDs (ascending, known to the session) matching `key`, with their modseqs. */
export async function runSearch(
  userId: number,
  key: SearchKey,
  ctx: ConvertContext,
): Promise<{ uid: number; modSeq: number }[]> {
  const storeKey = toStoreKey(key, ctx);
  if (storeKey.type === "none") return [];
  const hits = await searchMessages({ userId, mailboxId: ctx.mailbox.id, key: storeKey });
  // Only messages the client knows of (RFC 9051 §7.4.1: no numbers it has not seen in EXISTS).
  return hits.filter((h) => ctx.mailbox.uids.has(h.uid));
}
