import { withTransaction } from "../db/client.ts";
import { parseMessage, type ParsedMessage } from "../mime/parse.ts";
import { storeBlob } from "./blobs.ts";
import { publishMailEvent } from "./events.ts";
import { chargeQuota, findMailboxId, normalizeFlags, noteKeywords, stampMailbox } from "./store.ts";
import { findOrCreateThread } from "./threads.ts";

// Delivery of raw RFC 5322 bytes to one or many users: one blob, parsed once, one transaction.
// Either every recipient has the message when this resolves, or none has (and nothing is charged).

export interface DeliveryTarget {
  userId: number;
  /** Mailbox name or SPECIAL-USE attribute (`\\Junk`); INBOX when absent. */
  mailbox?: string;
  flags?: string[];
}

export interface StoredMessage {
  userId: number;
  mailboxId: number;
  uid: number;
  uidValidity: number;
  modSeq: number;
  threadId: number;
}

export interface DeliveryResult {
  blobHash: string;
  size: number;
  stored: StoredMessage[];
}

export async function deliverMessage(input: {
  raw: Buffer;
  targets: DeliveryTarget[];
  internalDate?: Date;
  parsed?: ParsedMessage;
}): Promise<DeliveryResult> {
  const parsed = input.parsed ?? (await parseMessage(input.raw));
  const internalDate = input.internalDate ?? new Date();
  // One copy per user; lock users in ascending id order.
  const byUser = new Map<number, DeliveryTarget>();
  for (const t of input.targets) if (!byUser.has(t.userId)) byUser.set(t.userId, t);
  const targets = [...byUser.values()].sort((a, b) => a.userId - b.userId);

  return withTransaction(async (tx) => {
    const blobHash = await storeBlob(tx, input.raw, parsed);
    const stored: StoredMessage[] = [];
    for (const t of targets) {
      await chargeQuota(tx, t.userId, input.raw.length);
      const mailboxId = await findMailboxId(tx, t.userId, t.mailbox ?? "INBOX");
      const threadId = await findOrCreateThread(tx, t.userId, parsed);
      const stamp = await stampMailbox(tx, t.userId, mailboxId, 1);
      await tx.query(
        `INSERT INTO messages (user_id, mailbox_id, uid, mod_seq, blob_hash, thread_id, message_id, flags, internal_date, size)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          t.userId,
          mailboxId,
          stamp.firstUid,
          stamp.modSeq,
          blobHash,
          threadId,
          parsed.messageId,
          normalizeFlags(t.flags ?? []),
          internalDate,
          input.raw.length,
        ],
      );
      await noteKeywords(tx, mailboxId, t.flags ?? []);
      await publishMailEvent(tx, { userId: t.userId, mailboxId, modSeq: stamp.modSeq, kind: "append" });
      stored.push({ userId: t.userId, mailboxId, uid: stamp.firstUid, uidValidity: stamp.uidValidity, modSeq: stamp.modSeq, threadId });
    }
    return { blobHash, size: input.raw.length, stored };
  });
}
