import type pg from "pg";
import { AppError } from "../errors.ts";

// Row-level primitives shared by every change to the store. Lock order, to stay free of
// deadlocks: users by ascending id, then each user's mailboxes by ascending id.

export interface MailboxStamp {
  mailboxId: number;
  uidValidity: number;
  /** First UID allocated (when n > 0). */
  firstUid: number;
  modSeq: number;
}

/** Adds `bytes` to the user's usage, failing with OVER_QUOTA (and so rolling back) past the quota. */
export async function chargeQuota(tx: pg.PoolClient, userId: number, bytes: number): Promise<void> {
  const r = await tx.query<{ used_bytes: number; quota_bytes: number; disabled: boolean }>(
    "UPDATE users SET used_bytes = used_bytes + $2 WHERE id = $1 RETURNING used_bytes, quota_bytes, disabled",
    [userId, bytes],
  );
  if (r.rowCount === 0) throw new AppError("NOT_FOUND", `no user ${userId}`);
  const row = r.rows[0];
  if (bytes > 0 && Number(row.used_bytes) > Number(row.quota_bytes)) {
    throw new AppError("OVER_QUOTA", "mailbox is full: the message would exceed the storage quota");
  }
}

/** Takes n UIDs and one new modseq for a mailbox of `userId` (locking its row until commit). */
export async function stampMailbox(tx: pg.PoolClient, userId: number, mailboxId: number, n = 0): Promise<MailboxStamp> {
  const r = await tx.query<{ uid_next: number; highest_mod_seq: number; uid_validity: number }>(
    `UPDATE mailboxes SET uid_next = uid_next + $3, highest_mod_seq = highest_mod_seq + 1
     WHERE id = $1 AND user_id = $2 RETURNING uid_next, highest_mod_seq, uid_validity`,
    [mailboxId, userId, n],
  );
  if (r.rowCount === 0) throw new AppError("NOT_FOUND", "no such mailbox");
  const row = r.rows[0];
  return {
    mailboxId,
    uidValidity: row.uid_validity,
    firstUid: row.uid_next - n,
    modSeq: Number(row.highest_mod_seq),
  };
}

/** Finds a user's mailbox by name (INBOX case-insensitively) or by SPECIAL-USE attribute. */
export async function findMailboxId(tx: pg.PoolClient | pg.Pool, userId: number, nameOrUse: string): Promise<number> {
  const r = nameOrUse.startsWith("\\")
    ? await tx.query<{ id: number }>("SELECT id FROM mailboxes WHERE user_id = $1 AND special_use = $2 ORDER BY id LIMIT 1", [
        userId,
        nameOrUse,
      ])
    : await tx.query<{ id: number }>("SELECT id FROM mailboxes WHERE user_id = $1 AND name = $2", [
        userId,
        nameOrUse.toUpperCase() === "INBOX" ? "INBOX" : nameOrUse,
      ]);
  if (r.rowCount === 0) throw new AppError("NOT_FOUND", `no mailbox ${nameOrUse}`);
  return r.rows[0].id;
}

export function normalizeFlags(flags: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const f of flags) {
    const key = f.toLowerCase();
    if (!seen.has(key)) seen.set(key, f);
  }
  return [...seen.values()];
}

/** Adds flags not seen before in the mailbox to its keyword list (case-insensitively). */
export async function noteKeywords(tx: pg.PoolClient, mailboxId: number, flags: readonly string[]): Promise<void> {
  if (flags.length === 0) return;
  await tx.query(
    `UPDATE mailboxes SET keywords = keywords || ARRAY(
       SELECT f FROM (SELECT DISTINCT ON (lower(f)) f FROM unnest($2::text[]) f) n
       WHERE lower(f) <> ALL (SELECT lower(k) FROM unnest(keywords) k))
     WHERE id = $1 AND EXISTS (
       SELECT 1 FROM unnest($2::text[]) f WHERE lower(f) <> ALL (SELECT lower(k) FROM unnest(keywords) k))`,
    [mailboxId, [...flags]],
  );
}
