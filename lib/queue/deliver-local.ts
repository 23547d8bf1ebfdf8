import type { RecipientResolution } from "../accounts/resolve-recipient.ts";
import { isAppError } from "../errors.ts";
import { deliverMessage } from "../mail/deliver.ts";
import type { ParsedMessage } from "../mime/parse.ts";
import { bounced, deferred, type DeliveryOutcome } from "./outcome.ts";
import { usersHoldingBlob, type ClaimedRecipient } from "./store.ts";

// Recipients Pigeon hosts are delivered straight into the store through lib/mail, all of a
// message's users in one transaction (one copy per user however many of their addresses it names).

export interface LocalItem {
  row: ClaimedRecipient;
  resolution: RecipientResolution;
}

function failureOutcome(err: unknown): DeliveryOutcome {
  if (isAppError(err, "OVER_QUOTA")) return deferred("4.2.2", "mailbox full: the message would exceed the storage quota");
  return deferred("4.3.0", `local delivery failed: ${(err as Error)?.message ?? String(err)}`);
}

export async function deliverLocal(
  items: LocalItem[],
  message: { raw: Buffer; blobHash: string; parsed?: ParsedMessage },
): Promise<Map<number, DeliveryOutcome>> {
  const outcomes = new Map<number, DeliveryOutcome>();
  const deliverable: { row: ClaimedRecipient; userIds: number[] }[] = [];
  for (const { row, resolution } of items) {
    if (resolution.kind === "local") deliverable.push({ row, userIds: resolution.userIds });
    else if (resolution.kind === "invalid") outcomes.set(row.id, bounced("5.1.3", `bad recipient address syntax: ${row.address}`));
    else outcomes.set(row.id, bounced("5.1.1", `no such user here: ${row.address}`));
  }
  if (deliverable.length === 0) return outcomes;

  // A previous attempt whose outcome was never recorded (its relay died between the store's
  // commit and ours) may have delivered already: skip users whose INBOX holds these bytes.
  let done = new Set<number>();
  if (deliverable.some((d) => d.row.abandoned)) {
    done = await usersHoldingBlob(message.blobHash, [...new Set(deliverable.flatMap((d) => d.userIds))]);
  }
  const pending = deliverable.filter((d) => !d.userIds.every((u) => done.has(u)));
  for (const d of deliverable) if (!pending.includes(d)) outcomes.set(d.row.id, { kind: "delivered", reply: "already in the mailbox" });
  if (pending.length === 0) return outcomes;

  const targets = (list: typeof pending) => [...new Set(list.flatMap((d) => d.userIds))].filter((u) => !done.has(u)).map((userId) => ({ userId }));
  try {
    await deliverMessage({ raw: message.raw, parsed: message.parsed, targets: targets(pending) });
    for (const d of pending) outcomes.set(d.row.id, { kind: "delivered", reply: "delivered to the mailbox" });
    return outcomes;
  } catch (err) {
    if (pending.length === 1) {
      outcomes.set(pending[0].row.id, failureOutcome(err));
      return outcomes;
    }
  }
  // One user's full mailbox must not hold back the others: one recipient at a time.
  for (const d of pending) {
    try {
      const t = targets([d]);
      if (t.length) await deliverMessage({ raw: message.raw, parsed: message.parsed, targets: t });
      outcomes.set(d.row.id, { kind: "delivered", reply: "delivered to the mailbox" });
      for (const u of d.userIds) done.add(u);
    } catch (err) {
      outcomes.set(d.row.id, failureOutcome(err));
    }
  }
  return outcomes;
}
