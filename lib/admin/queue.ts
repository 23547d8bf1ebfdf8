import { getPool } from "../db/client.ts";
import { listQueue, removeQueued, retryQueued, type QueueEntry } from "../queue/admin.ts";
import { type AdminActor, requirePlatformAdmin } from "./access.ts";

// The outbound queue for platform admins: the relay's own operator functions (lib/queue/admin.ts,
// the same as `npm run cli -- queue …`), grouped per message for the page.

export interface QueuedMessage {
  id: number;
  sender: string;
  subject: string;
  source: string;
  createdAt: Date;
  expiresAt: Date;
  recipients: Omit<QueueEntry, "messageId" | "sender" | "createdAt" | "expiresAt" | "source">[];
  /** Some recipient is still QUEUED or DEFERRED. */
  pending: boolean;
}

export async function listQueueAsAdmin(input: { actor: AdminActor; pending?: boolean; limit?: number }): Promise<QueuedMessage[]> {
  requirePlatformAdmin(input.actor);
  const entries = await listQueue({ pending: input.pending, limit: input.limit ?? 1000 });
  const byId = new Map<number, QueuedMessage>();
  for (const e of entries) {
    let m = byId.get(e.messageId);
    if (!m) {
      m = { id: e.messageId, sender: e.sender, subject: "", source: e.source, createdAt: e.createdAt, expiresAt: e.expiresAt, recipients: [], pending: false };
      byId.set(e.messageId, m);
    }
    const r = {
      recipientId: e.recipientId,
      address: e.address,
      status: e.status,
      attempts: e.attempts,
      lastError: e.lastError,
      remoteReply: e.remoteReply,
      nextAttemptAt: e.nextAttemptAt,
    };
    m.recipients.push(r);
    if (r.status === "QUEUED" || r.status === "DEFERRED") m.pending = true;
  }
  if (byId.size) {
    const subjects = await getPool().query<{ id: number; subject: string }>(
      "SELECT m.id, b.subject FROM outbound_messages m JOIN blobs b ON b.hash = m.blob_hash WHERE m.id = ANY($1::bigint[])",
      [[...byId.keys()]],
    );
    for (const s of subjects.rows) byId.get(s.id)!.subject = s.subject;
  }
  // Newest first on the page.
  return [...byId.values()].sort((a, b) => b.id - a.id);
}

export async function retryQueuedAsAdmin(input: { actor: AdminActor; id: number }): Promise<number> {
  requirePlatformAdmin(input.actor);
  return retryQueued({ id: input.id });
}

export async function removeQueuedAsAdmin(input: { actor: AdminActor; id: number }): Promise<void> {
  requirePlatformAdmin(input.actor);
  await removeQueued({ id: input.id });
}
