import type pg from "pg";
import { getPool, withTransaction } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { publishMailEvent } from "./events.ts";
import { chargeQuota } from "./store.ts";
import { DEFAULT_MAILBOXES, HIERARCHY_DELIMITER, newUidValidity } from "./special-use.ts";

// Mailboxes of one user: the defaults with SPECIAL-USE roles, and the user's own folders
// ("/" separates levels). INBOX is case-insensitive and can be neither deleted nor renamed away.

export interface MailboxInfo {
  id: number;
  name: string;
  specialUse: string | null;
  uidValidity: number;
  uidNext: number;
  highestModSeq: number;
  subscribed: boolean;
  messages: number;
  unseen: number;
  size: number;
}

const MAX_NAME_LENGTH = 512;

export function normalizeMailboxName(name: string): string {
  const trimmed = name.replace(/\/+$/, "");
  if (trimmed.toUpperCase() === "INBOX") return "INBOX";
  if (trimmed.toUpperCase().startsWith("INBOX/")) return "INBOX" + trimmed.slice(5);
  return trimmed;
}

function validateName(name: string): string {
  const n = normalizeMailboxName(name);
  if (!n || n.length > MAX_NAME_LENGTH || /[\x00-\x1f\x7f]/.test(n) || n.split(HIERARCHY_DELIMITER).some((p) => p === "")) {
    throw new AppError("INVALID", "invalid mailbox name");
  }
  return n;
}

export async function createDefaultMailboxes(tx: pg.PoolClient | pg.Pool, userId: number): Promise<void> {
  for (const m of DEFAULT_MAILBOXES) {
    await tx.query(
      `INSERT INTO mailboxes (user_id, name, special_use, uid_validity) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, name) DO NOTHING`,
      [userId, m.name, m.specialUse, newUidValidity()],
    );
  }
}

export async function listMailboxes(input: { userId: number; withCounts?: boolean }): Promise<MailboxInfo[]> {
  const counts = input.withCounts !== false;
  // The counters are kept on the mailbox row by triggers on messages (migration 20261129100000).
  const r = await getPool().query(
    `SELECT b.id, b.name, b.special_use, b.uid_validity, b.uid_next, b.highest_mod_seq, b.subscribed
       ${counts ? ", b.message_count AS messages, b.unseen_count AS unseen, b.total_size AS size" : ""}
     FROM mailboxes b WHERE b.user_id = $1 ORDER BY (b.name <> 'INBOX'), b.name`,
    [input.userId],
  );
  return r.rows.map((row) => ({
    id: row.id,
    name: row.name,
    specialUse: row.special_use,
    uidValidity: row.uid_validity,
    uidNext: row.uid_next,
    highestModSeq: Number(row.highest_mod_seq),
    subscribed: row.subscribed,
    messages: row.messages ?? 0,
    unseen: row.unseen ?? 0,
    size: Number(row.size ?? 0),
  }));
}

export async function getMailboxOrThrow(input: { userId: number; name?: string; id?: number }): Promise<MailboxInfo> {
  const all = await listMailboxes({ userId: input.userId });
  const name = input.name !== undefined ? normalizeMailboxName(input.name) : undefined;
  const found = all.find((m) => (input.id !== undefined ? m.id === input.id : m.name === name));
  if (!found) throw new AppError("NOT_FOUND", "no such mailbox");
  return found;
}

export async function createMailbox(input: { userId: number; name: string; specialUse?: string | null }): Promise<MailboxInfo> {
  const name = validateName(input.name);
  return withTransaction(async (tx) => {
    // RFC 3501 §6.3.3: create missing superior levels too.
    const levels = name.split(HIERARCHY_DELIMITER);
    let created: number | undefined;
    for (let i = 1; i <= levels.length; i++) {
      const level = levels.slice(0, i).join(HIERARCHY_DELIMITER);
      const r = await tx.query<{ id: number }>(
        `INSERT INTO mailboxes (user_id, name, special_use, uid_validity) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, name) DO NOTHING RETURNING id`,
        [input.userId, level, i === levels.length ? (input.specialUse ?? null) : null, newUidValidity()],
      );
      if (i === levels.length) {
        if (r.rowCount === 0) throw new AppError("ALREADY_EXISTS", "mailbox already exists");
        created = r.rows[0].id;
      }
    }
    await publishMailEvent(tx, { userId: input.userId, mailboxId: created!, modSeq: 0, kind: "mailbox" });
    return created!;
  }).then((id) => getMailboxOrThrow({ userId: input.userId, id }));
}

export async function deleteMailbox(input: { userId: number; name: string }): Promise<void> {
  const name = normalizeMailboxName(input.name);
  if (name === "INBOX") throw new AppError("FORBIDDEN", "INBOX cannot be deleted");
  await withTransaction(async (tx) => {
    await chargeQuota(tx, input.userId, 0);
    // Every change to the mailbox's messages updates this row (its counters' triggers), so under
    // the lock total_size stays exact until the delete.
    const mb = await tx.query<{ id: number; total_size: string }>(
      "SELECT id, total_size FROM mailboxes WHERE user_id = $1 AND name = $2 FOR UPDATE",
      [input.userId, name],
    );
    if (mb.rowCount === 0) throw new AppError("NOT_FOUND", "no such mailbox");
    const id = mb.rows[0].id;
    await chargeQuota(tx, input.userId, -Number(mb.rows[0].total_size));
    // Children stay (RFC 3501 §6.3.4 allows deleting a name that has inferiors).
    await tx.query("DELETE FROM mailboxes WHERE id = $1", [id]);
    await publishMailEvent(tx, { userId: input.userId, mailboxId: id, modSeq: 0, kind: "mailbox" });
  });
}

export async function renameMailbox(input: { userId: number; from: string; to: string }): Promise<void> {
  const from = normalizeMailboxName(input.from);
  const to = validateName(input.to);
  if (from === "INBOX") throw new AppError("FORBIDDEN", "INBOX cannot be renamed");
  if (to === "INBOX" || to.startsWith("INBOX/") === false && to.toUpperCase() === "INBOX") {
    throw new AppError("ALREADY_EXISTS", "mailbox already exists");
  }
  if (to === from || to.startsWith(from + HIERARCHY_DELIMITER)) throw new AppError("INVALID", "cannot rename a mailbox into itself");
  await withTransaction(async (tx) => {
    const exists = await tx.query("SELECT 1 FROM mailboxes WHERE user_id = $1 AND name = $2", [input.userId, to]);
    if (exists.rowCount) throw new AppError("ALREADY_EXISTS", "mailbox already exists");
    const r = await tx.query(
      `UPDATE mailboxes SET name = $3 || substr(name, length($2) + 1)
       WHERE user_id = $1 AND (name = $2 OR name LIKE $4 ESCAPE '\\') RETURNING id`,
      [input.userId, from, to, from.replace(/[\\%_]/g, (c) => "\\" + c) + HIERARCHY_DELIMITER + "%"],
    );
    if (r.rowCount === 0) throw new AppError("NOT_FOUND", "no such mailbox");
    // New superior levels of the target are created as needed (RFC 3501 §6.3.5).
    const levels = to.split(HIERARCHY_DELIMITER);
    for (let i = 1; i < levels.length; i++) {
      await tx.query(
        `INSERT INTO mailboxes (user_id, name, uid_validity) VALUES ($1, $2, $3) ON CONFLICT (user_id, name) DO NOTHING`,
        [input.userId, levels.slice(0, i).join(HIERARCHY_DELIMITER), newUidValidity()],
      );
    }
    await publishMailEvent(tx, { userId: input.userId, mailboxId: null, modSeq: 0, kind: "mailbox" });
  });
}

export async function setSubscribed(input: { userId: number; name: string; subscribed: boolean }): Promise<void> {
  const r = await getPool().query("UPDATE mailboxes SET subscribed = $3 WHERE user_id = $1 AND name = $2", [
    input.userId,
    normalizeMailboxName(input.name),
    input.subscribed,
  ]);
  if (r.rowCount === 0) throw new AppError("NOT_FOUND", "no such mailbox");
}
