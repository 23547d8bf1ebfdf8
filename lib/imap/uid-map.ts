// The UID ↔ message sequence number map of a selected mailbox (RFC 3501 §2.3.1.2): sequence
// number n is the n-th smallest UID the session knows. Kept as a growable Uint32Array so a
// mailbox of 100,000 messages costs 400 KB, and lookups by UID are binary searches.

export class UidMap {
  private uids: Uint32Array;
  private count = 0;

  /** The UIDs from..to, every one of them. */
  static fromRange(from: number, to: number): UidMap {
    const map = new UidMap([]);
    const n = Math.max(0, to - from + 1);
    map.uids = new Uint32Array(Math.max(16, n));
    for (let i = 0; i < n; i++) map.uids[i] = from + i;
    map.count = n;
    return map;
  }

  constructor(initial: ArrayLike<number> = []) {
    this.uids = new Uint32Array(Math.max(16, initial.length));
    for (let i = 0; i < initial.length; i++) this.uids[i] = initial[i];
    this.count = initial.length;
  }

  get size(): number {
    return this.count;
  }

  /** Highest known UID, or 0 when empty. */
  get maxUid(): number {
    return this.count ? this.uids[this.count - 1] : 0;
  }

  uidAt(seq: number): number | undefined {
    return seq >= 1 && seq <= this.count ? this.uids[seq - 1] : undefined;
  }

  /** Sequence number of `uid`, or 0 when the session does not know it. */
  seqOf(uid: number): number {
    const i = this.lowerBound(uid);
    return i < this.count && this.uids[i] === uid ? i + 1 : 0;
  }

  has(uid: number): boolean {
    return this.seqOf(uid) !== 0;
  }

  /** Index of the first UID >= uid. */
  lowerBound(uid: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.uids[mid] < uid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Appends UIDs larger than every known one (new messages), ascending. */
  append(uids: readonly number[]): void {
    const fresh = uids.filter((u) => u > this.maxUid).sort((a, b) => a - b);
    if (fresh.length === 0) return;
    if (this.count + fresh.length > this.uids.length) {
      const next = new Uint32Array(Math.max(this.uids.length * 2, this.count + fresh.length));
      next.set(this.uids.subarray(0, this.count));
      this.uids = next;
    }
    let last = this.maxUid;
    for (const u of fresh) {
      if (u === last) continue;
      this.uids[this.count++] = u;
      last = u;
    }
  }

  /** Removes one UID; returns the sequence number it had, or 0. */
  remove(uid: number): number {
    const seq = this.seqOf(uid);
    if (!seq) return 0;
    this.uids.copyWithin(seq - 1, seq, this.count);
    this.count--;
    return seq;
  }

  /**
   * Removes several UIDs. Returns the sequence numbers to announce as EXPUNGE responses, in the
   * order they must be sent: each number is valid after the previous ones were removed
   * (RFC 3501 §7.4.1), which sending highest first achieves.
   */
  removeMany(uids: Iterable<number>): number[] {
    const seqs: number[] = [];
    for (const u of uids) {
      const s = this.seqOf(u);
      if (s) seqs.push(s);
    }
    if (seqs.length === 0) return [];
    seqs.sort((a, b) => b - a);
    const drop = new Set(seqs);
    let w = 0;
    for (let r = 0; r < this.count; r++) if (!drop.has(r + 1)) this.uids[w++] = this.uids[r];
    this.count = w;
    return seqs;
  }

  /** Known UIDs within [from, to], ascending. */
  uidsInRange(from: number, to: number): number[] {
    const out: number[] = [];
    for (let i = this.lowerBound(from); i < this.count && this.uids[i] <= to; i++) out.push(this.uids[i]);
    return out;
  }

  /** UIDs at sequence numbers [from, to] (clamped). */
  uidsInSeqRange(from: number, to: number): number[] {
    const a = Math.max(1, from);
    const b = Math.min(this.count, to);
    const out: number[] = [];
    for (let s = a; s <= b; s++) out.push(this.uids[s - 1]);
    return out;
  }

  toArray(): number[] {
    return Array.from(this.uids.subarray(0, this.count));
  }
}
