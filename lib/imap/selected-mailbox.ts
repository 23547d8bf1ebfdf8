import { listExpungedSince, listMessages } from "../mail/messages.ts";
import {
  compileFetch,
  compileFlags,
  compileMessageCount,
  compileVanished,
  type CompileOptions,
  type FetchAttribute,
} from "./compiler.ts";
import { resolveSequenceSet, type SequenceSet } from "./parser.ts";
import { readMailboxState } from "./store-adapter.ts";
import { UidMap } from "./uid-map.ts";

// The Selected state's view of one mailbox: the UID ↔ sequence number map the client knows, the
// modseq up to which it has been told every change, and the changes other sessions made that it
// has not been told yet. Changes are re-read from the store when a mail event says the mailbox
// moved on (lib/mail/events.ts), and sent at the points RFC 9051 §7.4.1 and §5.2 allow.

export const SYSTEM_FLAGS = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

export interface SelectedInit {
  id: number;
  name: string;
  readOnly: boolean;
  uidValidity: number;
  uids: number[] | { from: number; to: number };
  highestModSeq: number;
  flags: string[];
}

export interface UpdateContext {
  userId: number;
  allowExpunge: boolean;
  condstore: boolean;
  qresync: boolean;
  compileOptions: CompileOptions;
}

export class SelectedMailbox {
  readonly id: number;
  name: string;
  readonly readOnly: boolean;
  readonly uidValidity: number;
  readonly uids: UidMap;
  /** Every change with a modseq up to this one has been reported (or was known at SELECT). */
  knownModSeq: number;
  /** A mail event arrived since the last look at the store. */
  dirty = false;
  /** UIDs expunged by others, still numbered until the client may be told (RFC 9051 §7.5.1). */
  readonly pendingExpunges = new Set<number>();
  /** Flags and keywords announced in FLAGS. */
  readonly flags: Set<string>;
  /** UID → modseq already reported to this client by its own commands (STORE, FETCH \Seen). */
  private reported = new Map<number, number>();

  constructor(init: SelectedInit) {
    this.id = init.id;
    this.name = init.name;
    this.readOnly = init.readOnly;
    this.uidValidity = init.uidValidity;
    this.uids = Array.isArray(init.uids) ? new UidMap(init.uids) : UidMap.fromRange(init.uids.from, init.uids.to);
    this.knownModSeq = init.highestModSeq;
    this.flags = new Set([...SYSTEM_FLAGS, ...init.flags.filter((f) => !f.startsWith("\\"))]);
  }

  get exists(): number {
    return this.uids.size;
  }

  /** Notes a flag change this client was told about already, so that sync does not repeat it. */
  noteReported(uid: number, modSeq: number): void {
    this.reported.set(uid, modSeq);
  }

  /**
   * After a change this session made itself: when it took the very next modseq, nothing else
   * happened in between, so the session stays up to date without re-reading the store.
   */
  advanceIfNext(modSeq: number | null): void {
    if (modSeq !== null && modSeq === this.knownModSeq + 1) this.knownModSeq = modSeq;
  }

  /** FLAGS response when `flags` holds keywords the client has not been shown (RFC 9051 §7.3.5). */
  newKeywordsResponse(flags: Iterable<string>): Buffer | null {
    let added = false;
    for (const f of flags) {
      if (f.startsWith("\\")) continue;
      if (![...this.flags].some((k) => k.toLowerCase() === f.toLowerCase())) {
        this.flags.add(f);
        added = true;
      }
    }
    return added ? compileFlags([...this.flags]) : null;
  }

  permanentFlags(): string[] {
    return this.readOnly ? [] : [...this.flags, "\\*"];
  }

  /** Message UIDs a sequence set names (client numbering), ascending. */
  uidsForSequenceSet(set: SequenceSet, saved: number[]): number[] {
    if (set.saved) return saved.filter((u) => this.uids.has(u));
    const ranges = resolveSequenceSet(set, this.uids.size);
    if (ranges.length === 1) return this.uids.uidsInSeqRange(ranges[0].start, ranges[0].end);
    // concat, not push(...): a range can hold more elements than a call takes arguments.
    return ([] as number[]).concat(...ranges.map((r) => this.uids.uidsInSeqRange(r.start, r.end)));
  }

  /**
   * RFC 9051 §9 (seq-number): a sequence number beyond the mailbox, or "*" in an empty one, is
   * answered BAD (as Dovecot does); SEARCH is exempt and simply matches nothing.
   */
  validSequenceSet(set: SequenceSet): boolean {
    if (set.saved) return true;
    if (this.uids.size === 0) return false;
    return resolveSequenceSet(set, this.uids.size).every((r) => r.end <= this.uids.size);
  }

  /** Known UIDs a UID set names, ascending. `*` is the highest UID known to the client. */
  uidsForUidSet(set: SequenceSet, saved: number[]): number[] {
    if (set.saved) return saved.filter((u) => this.uids.has(u));
    // RFC 9051 §6.4.9: "*" is the largest UID in use; with an empty mailbox, nothing matches
    // unless the other end of the range does.
    const ranges = resolveSequenceSet(set, this.uids.maxUid);
    if (ranges.length === 1) return this.uids.uidsInRange(ranges[0].start, ranges[0].end);
    return ([] as number[]).concat(...ranges.map((r) => this.uids.uidsInRange(r.start, r.end)));
  }

  /** Removes UIDs this client expunged itself, returning the untagged responses to send. */
  expungeOwn(uids: number[], ctx: { qresync: boolean }): Buffer[] {
    const known = uids.filter((u) => this.uids.has(u));
    for (const u of known) this.pendingExpunges.delete(u);
    if (known.length === 0) return [];
    if (ctx.qresync) {
      this.uids.removeMany(known);
      return [compileVanished(known, false)];
    }
    return this.uids.removeMany(known).map((seq) => compileMessageCount(seq, "EXPUNGE"));
  }

  /**
   * Reads what changed since `knownModSeq` and returns the untagged responses, or "gone" when the
   * mailbox no longer exists.
   */
  async collectUpdates(ctx: UpdateContext): Promise<Buffer[] | "gone"> {
    const out: Buffer[] = [];
    this.dirty = false;
    // The mailbox's modseq first: every change up to it has committed (modseqs are taken under
    // the mailbox row lock and committed in order), so the reads below see all of them.
    const state = await readMailboxState({ userId: ctx.userId, mailboxId: this.id });
    if (!state || state.uidValidity !== this.uidValidity) return "gone";
    const flagUpdates: { uid: number; flags: string[]; modSeq: number }[] = [];
    if (state.highestModSeq > this.knownModSeq) {
      const since = this.knownModSeq;
      const [changed, expunged] = await Promise.all([
        listMessages({ userId: ctx.userId, mailboxId: this.id, changedSince: since }),
        listExpungedSince({ userId: ctx.userId, mailboxId: this.id, sinceModSeq: since }),
      ]);
      const maxKnown = this.uids.maxUid;
      const fresh: number[] = [];
      for (const m of changed) {
        if (m.uid > maxKnown) fresh.push(m.uid);
        else if (this.uids.has(m.uid) && !this.pendingExpunges.has(m.uid) && this.reported.get(m.uid) !== m.modSeq) {
          flagUpdates.push({ uid: m.uid, flags: m.flags, modSeq: m.modSeq });
        }
      }
      for (const uid of expunged) if (this.uids.has(uid)) this.pendingExpunges.add(uid);
      this.reported.clear();
      this.knownModSeq = Math.max(this.knownModSeq, state.highestModSeq);
      const keywords = this.newKeywordsResponse(flagUpdates.flatMap((u) => u.flags));
      if (keywords) out.push(keywords);
      if (ctx.allowExpunge) for (const b of this.expungePending(ctx)) out.push(b);
      if (fresh.length > 0) {
        this.uids.append(fresh);
        out.push(compileMessageCount(this.uids.size, "EXISTS"));
      }
    } else if (ctx.allowExpunge) {
      for (const b of this.expungePending(ctx)) out.push(b);
    }
    for (const u of flagUpdates) {
      const seq = this.uids.seqOf(u.uid);
      if (!seq) continue;
      // Unsolicited FETCH carries the UID (RFC 7162 §3.2.4 once QRESYNC is on, harmless otherwise)
      // and MODSEQ once CONDSTORE is on (RFC 7162 §3.1.4.1).
      const attrs: FetchAttribute[] = [
        { name: "UID", value: u.uid },
        { name: "FLAGS", value: u.flags },
      ];
      if (ctx.condstore) attrs.push({ name: "MODSEQ", value: u.modSeq });
      out.push(compileFetch(seq, attrs, ctx.compileOptions));
    }
    return out;
  }

  private expungePending(ctx: { qresync: boolean }): Buffer[] {
    if (this.pendingExpunges.size === 0) return [];
    const uids = [...this.pendingExpunges].sort((a, b) => a - b);
    this.pendingExpunges.clear();
    return this.expungeOwn(uids, ctx);
  }
}
