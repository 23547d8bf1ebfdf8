import type pg from "pg";
import { withTransaction } from "../db/client.ts";
import { parseMessage, type ParsedMessage } from "../mime/parse.ts";
import { storeBlob } from "./blobs.ts";
import { findMailboxId, insertMessages, type NewMessageRow } from "./store.ts";
import { findOrCreateThread } from "./threads.ts";

// Delivery of raw RFC 5322 bytes to one or many users: one blob, parsed once, one transaction.
// Either every recipient has the message when this resolves, or none has (and nothing is charged).
//
// Deliveries into one mailbox queue on its row lock, which is held until the commit is on disk:
// one fsync per message would cap a busy mailbox at the disk's fsync rate. So single-recipient
// deliveries go through a per-user lane in this process: one runs at once per user, and those that
// arrived meanwhile are stored together in the next transaction (group commit). Each caller still
// hears back only once its message is committed; if a batch fails (one message over quota, say),
// its messages are retried one by one, so each gets its own answer.

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

interface Delivery {
  raw: Buffer;
  parsed: ParsedMessage;
  internalDate: Date;
  targets: DeliveryTarget[];
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
  const delivery: Delivery = { raw: input.raw, parsed, internalDate, targets };
  if (targets.length === 1) return laneFor(targets[0].userId).submit(delivery);
  return withTransaction((tx) => storeDeliveries(tx, [delivery])).then((r) => r[0]);
}

/**
 * Stores deliveries in the caller's transaction: blobs, mailboxes and threads first (no lock
 * needed), then, per user in ascending id order and per mailbox in ascending id order, one
 * statement under the user's and the mailbox's locks. A message that replies to another of the
 * same batch joins its thread. (A reply committed while its parent's delivery is in flight in
 * another transaction, within milliseconds, starts its own thread: the price of not holding the
 * user's lock during the lookups.)
 */
async function storeDeliveries(tx: pg.PoolClient, deliveries: Delivery[]): Promise<DeliveryResult[]> {
  interface Row extends NewMessageRow {
    delivery: number;
    userId: number;
    mailboxId: number;
  }
  const rows: Row[] = [];
  const hashes: string[] = [];
  const mailboxes = new Map<string, number>();
  const threadsById = new Map<string, number>();
  for (const [k, d] of deliveries.entries()) {
    const blobHash = await storeBlob(tx, d.raw, d.parsed);
    hashes.push(blobHash);
    const related = [...d.parsed.references, ...(d.parsed.inReplyTo ? [d.parsed.inReplyTo] : []), ...(d.parsed.messageId ? [d.parsed.messageId] : [])];
    for (const t of d.targets) {
      const boxKey = `${t.userId}\0${t.mailbox ?? "INBOX"}`;
      let mailboxId = mailboxes.get(boxKey);
      if (mailboxId === undefined) {
        mailboxId = await findMailboxId(tx, t.userId, t.mailbox ?? "INBOX");
        mailboxes.set(boxKey, mailboxId);
      }
      const inBatch = related.map((id) => threadsById.get(`${t.userId}\0${id}`)).find((x) => x !== undefined);
      const threadId = inBatch ?? (await findOrCreateThread(tx, t.userId, d.parsed));
      if (d.parsed.messageId) threadsById.set(`${t.userId}\0${d.parsed.messageId}`, threadId);
      rows.push({
        delivery: k,
        userId: t.userId,
        mailboxId,
        blobHash,
        threadId,
        messageId: d.parsed.messageId,
        flags: t.flags ?? [],
        internalDate: d.internalDate,
        size: d.raw.length,
      });
    }
  }
  const results: DeliveryResult[] = deliveries.map((d, k) => ({ blobHash: hashes[k], size: d.raw.length, stored: [] }));
  // Lock order: users ascending, then each user's mailboxes ascending (stable: arrival order kept).
  const order = [...rows].sort((a, b) => a.userId - b.userId || a.mailboxId - b.mailboxId);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j].userId === order[i].userId && order[j].mailboxId === order[i].mailboxId) j++;
    const group = order.slice(i, j);
    const done = await insertMessages(tx, { userId: group[0].userId, mailboxId: group[0].mailboxId, messages: group });
    group.forEach((row, n) => {
      results[row.delivery].stored.push({
        userId: row.userId,
        mailboxId: row.mailboxId,
        uid: done.uids[n],
        uidValidity: done.uidValidity,
        modSeq: done.modSeq,
        threadId: row.threadId,
      });
    });
    i = j;
  }
  for (const r of results) r.stored.sort((a, b) => a.userId - b.userId);
  return results;
}

// ─── per-user lanes (group commit) ───────────────────────────────────────────────────────────────

const MAX_BATCH = 64;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

interface Pending {
  delivery: Delivery;
  resolve(result: DeliveryResult): void;
  reject(err: unknown): void;
}

interface Lane {
  queue: Pending[];
  submit(delivery: Delivery): Promise<DeliveryResult>;
}

const lanes = new Map<number, Lane>();

function laneFor(userId: number): Lane {
  let lane = lanes.get(userId);
  if (lane) return lane;
  const created: Lane = {
    queue: [],
    submit: (delivery) => new Promise<DeliveryResult>((resolve, reject) => created.queue.push({ delivery, resolve, reject })),
  };
  lane = created;
  lanes.set(userId, lane);
  void drain(userId, lane);
  return lane;
}

async function drain(userId: number, lane: Lane): Promise<void> {
  // Let the submit that created the lane queue its delivery first.
  await Promise.resolve();
  try {
    while (lane.queue.length > 0) {
      const batch: Pending[] = [];
      let bytes = 0;
      while (lane.queue.length > 0 && batch.length < MAX_BATCH && (batch.length === 0 || bytes + lane.queue[0].delivery.raw.length <= MAX_BATCH_BYTES)) {
        const next = lane.queue.shift()!;
        bytes += next.delivery.raw.length;
        batch.push(next);
      }
      await runBatch(batch);
    }
  } finally {
    // The loop ends on an empty queue, with no await in between: a later submit starts a new lane.
    lanes.delete(userId);
  }
}

async function runBatch(batch: Pending[]): Promise<void> {
  if (batch.length > 1) {
    try {
      const results = await withTransaction((tx) => storeDeliveries(tx, batch.map((p) => p.delivery)));
      batch.forEach((p, k) => p.resolve(results[k]));
      return;
    } catch {
      // One message spoiled the batch (over quota, a mailbox gone): each alone, for its own answer.
    }
  }
  for (const p of batch) {
    try {
      p.resolve((await withTransaction((tx) => storeDeliveries(tx, [p.delivery])))[0]);
    } catch (err) {
      p.reject(err);
    }
  }
}
