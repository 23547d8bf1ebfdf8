import { withTransaction } from "../db/client.ts";
import { parseMessage } from "../mime/parse.ts";
import { storeBlob } from "./blobs.ts";
import { publishMailEvent } from "./events.ts";
import { chargeQuota, normalizeFlags, noteKeywords, stampMailbox } from "./store.ts";
import { findOrCreateThread } from "./threads.ts";

// APPEND (RFC 3501 §6.3.11, MULTIAPPEND RFC 3502): messages a client stores itself, with its own
// flags and internal date. All messages of one call land together or not at all.

export interface AppendItem {
  raw: Buffer;
  flags?: string[];
  internalDate?: Date;
}

export interface AppendResult {
  mailboxId: number;
  uidValidity: number;
  uids: number[];
  modSeq: number;
}

export async function appendMessages(input: { userId: number; mailboxId: number; messages: AppendItem[] }): Promise<AppendResult> {
  const parsed = await Promise.all(input.messages.map((m) => parseMessage(m.raw)));
  const total = input.messages.reduce((n, m) => n + m.raw.length, 0);
  return withTransaction(async (tx) => {
    const hashes: string[] = [];
    for (let i = 0; i < input.messages.length; i++) hashes.push(await storeBlob(tx, input.messages[i].raw, parsed[i]));
    await chargeQuota(tx, input.userId, total);
    const threads: number[] = [];
    for (const p of parsed) threads.push(await findOrCreateThread(tx, input.userId, p));
    const stamp = await stampMailbox(tx, input.userId, input.mailboxId, input.messages.length);
    const uids: number[] = [];
    for (let i = 0; i < input.messages.length; i++) {
      const m = input.messages[i];
      const uid = stamp.firstUid + i;
      uids.push(uid);
      await tx.query(
        `INSERT INTO messages (user_id, mailbox_id, uid, mod_seq, blob_hash, thread_id, message_id, flags, internal_date, size)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          input.userId,
          input.mailboxId,
          uid,
          stamp.modSeq,
          hashes[i],
          threads[i],
          parsed[i].messageId,
          normalizeFlags(m.flags ?? []),
          m.internalDate ?? new Date(),
          m.raw.length,
        ],
      );
    }
    await noteKeywords(tx, input.mailboxId, input.messages.flatMap((m) => m.flags ?? []));
    await publishMailEvent(tx, { userId: input.userId, mailboxId: input.mailboxId, modSeq: stamp.modSeq, kind: "append" });
    return { mailboxId: input.mailboxId, uidValidity: stamp.uidValidity, uids, modSeq: stamp.modSeq };
  });
}

export async function appendMessage(input: { userId: number; mailboxId: number } & AppendItem): Promise<AppendResult> {
  return appendMessages({ userId: input.userId, mailboxId: input.mailboxId, messages: [input] });
}
