import { withTransaction } from "../db/client.ts";
import { parseMessage } from "../mime/parse.ts";
import { storeBlob } from "./blobs.ts";
import { insertMessages } from "./store.ts";
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
  return withTransaction(async (tx) => {
    const hashes: string[] = [];
    for (let i = 0; i < input.messages.length; i++) hashes.push(await storeBlob(tx, input.messages[i].raw, parsed[i]));
    const threads: number[] = [];
    for (const p of parsed) threads.push(await findOrCreateThread(tx, input.userId, p));
    const done = await insertMessages(tx, {
      userId: input.userId,
      mailboxId: input.mailboxId,
      messages: input.messages.map((m, i) => ({
        blobHash: hashes[i],
        threadId: threads[i],
        messageId: parsed[i].messageId,
        flags: m.flags ?? [],
        internalDate: m.internalDate ?? new Date(),
        size: m.raw.length,
      })),
    });
    return { mailboxId: input.mailboxId, uidValidity: done.uidValidity, uids: done.uids, modSeq: done.modSeq };
  });
}

export async function appendMessage(input: { userId: number; mailboxId: number } & AppendItem): Promise<AppendResult> {
  return appendMessages({ userId: input.userId, mailboxId: input.mailboxId, messages: [input] });
}
