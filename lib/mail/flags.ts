import { withTransaction } from "../db/client.ts";
import { publishMailEvent } from "./events.ts";
import { normalizeFlags, noteKeywords, stampMailbox } from "./store.ts";

// STORE (RFC 3501 §6.4.6) with CONDSTORE's UNCHANGEDSINCE (RFC 7162 §3.1.3). Only messages whose
// flags actually change get the new modseq; messages modified since `unchangedSince` are reported.
// Flags compare case-insensitively (RFC 3501 §2.3.2).

export type FlagOperation = "add" | "remove" | "set";

export interface FlagChange {
  uid: number;
  flags: string[];
  modSeq: number;
}

export interface StoreFlagsResult {
  changed: FlagChange[];
  /** UIDs refused by UNCHANGEDSINCE. */
  modified: number[];
  modSeq: number | null;
}

export function applyFlagOperation(current: string[], operation: FlagOperation, flags: string[]): string[] {
  const lower = new Set(flags.map((f) => f.toLowerCase()));
  if (operation === "set") return normalizeFlags(flags);
  if (operation === "remove") return current.filter((f) => !lower.has(f.toLowerCase()));
  return normalizeFlags([...current, ...flags]);
}

function sameFlags(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a.map((f) => f.toLowerCase()));
  return b.every((f) => set.has(f.toLowerCase()));
}

class NoChange extends Error {
  constructor(readonly modified: number[]) {
    super("no change");
  }
}

export async function storeFlags(input: {
  userId: number;
  mailboxId: number;
  uids: number[];
  operation: FlagOperation;
  flags: string[];
  unchangedSince?: number;
}): Promise<StoreFlagsResult> {
  if (input.uids.length === 0) return { changed: [], modified: [], modSeq: null };
  try {
    return await withTransaction(async (tx) => {
      const stamp = await stampMailbox(tx, input.userId, input.mailboxId, 0);
      const rows = await tx.query<{ uid: number; flags: string[]; mod_seq: number }>(
        "SELECT uid, flags, mod_seq FROM messages WHERE mailbox_id = $1 AND uid = ANY($2::int[]) ORDER BY uid",
        [input.mailboxId, input.uids],
      );
      const modified: number[] = [];
      const changed: FlagChange[] = [];
      for (const row of rows.rows) {
        if (input.unchangedSince !== undefined && Number(row.mod_seq) > input.unchangedSince) {
          modified.push(row.uid);
          continue;
        }
        const next = applyFlagOperation(row.flags, input.operation, input.flags);
        if (!sameFlags(row.flags, next)) changed.push({ uid: row.uid, flags: next, modSeq: stamp.modSeq });
      }
      if (changed.length === 0) throw new NoChange(modified);
      await tx.query(
        `UPDATE messages m SET flags = ARRAY(SELECT jsonb_array_elements_text(v.f)), mod_seq = $3
         FROM jsonb_to_recordset($2::jsonb) AS v(uid int, f jsonb)
         WHERE m.mailbox_id = $1 AND m.uid = v.uid`,
        [input.mailboxId, JSON.stringify(changed.map((c) => ({ uid: c.uid, f: c.flags }))), stamp.modSeq],
      );
      if (input.operation !== "remove") await noteKeywords(tx, input.mailboxId, input.flags);
      await publishMailEvent(tx, { userId: input.userId, mailboxId: input.mailboxId, modSeq: stamp.modSeq, kind: "flags" });
      return { changed, modified, modSeq: stamp.modSeq };
    });
  } catch (err) {
    // Nothing changed: the transaction rolled back, so the mailbox's modseq did not move either.
    if (err instanceof NoChange) return { changed: [], modified: err.modified, modSeq: null };
    throw err;
  }
}
