import pg from "pg";
import { getDatabaseUrl } from "../db/client.ts";
import { findMailboxId } from "../mail/store.ts";
import { getPool } from "../db/client.ts";

// The POP3 maildrop is the user's INBOX, frozen at login (RFC 1939 §8). One session per maildrop,
// across every POP3 process: a Postgres advisory lock held on the session's own connection, so a
// dead connection (or process) releases it.

const LOCK_CLASS = 0x504f5033; // "POP3"

export interface MaildropMessage {
  uid: number;
  size: number;
  blobHash: string;
  flags: string[];
}

export interface Maildrop {
  mailboxId: number;
  uidValidity: number;
  messages: MaildropMessage[];
}

export interface MaildropLock {
  release(): Promise<void>;
}

export async function lockMaildrop(userId: number): Promise<MaildropLock | null> {
  const client = new pg.Client({ connectionString: getDatabaseUrl() });
  client.on("error", () => undefined);
  await client.connect();
  const r = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::int, $2::int) AS ok", [LOCK_CLASS | 0, userId]);
  if (!r.rows[0].ok) {
    await client.end().catch(() => undefined);
    return null;
  }
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      // Closing the connection releases the session-level lock.
      await client.end().catch(() => undefined);
    },
  };
}

export async function loadMaildrop(userId: number): Promise<Maildrop> {
  const pool = getPool();
  const mailboxId = await findMailboxId(pool, userId, "INBOX");
  const mb = await pool.query<{ uid_validity: number }>("SELECT uid_validity FROM mailboxes WHERE id = $1", [mailboxId]);
  const r = await pool.query<{ uid: number; size: number; blob_hash: string; flags: string[] }>(
    "SELECT uid, size, blob_hash, flags FROM messages WHERE mailbox_id = $1 AND user_id = $2 ORDER BY uid",
    [mailboxId, userId],
  );
  return {
    mailboxId,
    uidValidity: mb.rows[0].uid_validity,
    messages: r.rows.map((m) => ({ uid: m.uid, size: m.size, blobHash: m.blob_hash, flags: m.flags })),
  };
}
