import { parseAddress } from "../accounts/addresses.ts";
import { resolveRecipient } from "../accounts/resolve-recipient.ts";
import { withTransaction } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { storeBlob } from "../mail/blobs.ts";
import { parseMessage, type ParsedMessage } from "../mime/parse.ts";
import { getQueueContext, type QueueContext } from "./context.ts";
import { processGroup } from "./process.ts";
import { insertOutboundMessage, notifyQueue, type ClaimedRecipient, type RecipientStatus } from "./store.ts";

// The one way into the outbound queue, for submission (port 587/465) and the webmail alike.
// When enqueueMessage resolves, the message and every recipient are committed: the caller may
// answer 250 / "sent". Recipients Pigeon hosts are then delivered straight into the store within
// the same call; should that fail for a passing reason, they stay queued and the relay retries.
// Remote recipients are left to the relay (workers/relay.ts), woken through NOTIFY.

export type OutboundSource = "submission" | "web" | "dsn";

export interface EnqueueInput {
  /** The authenticated user who sent it (null for system mail such as DSNs). */
  userId?: number | null;
  /** Envelope sender (MAIL FROM); "" is the null sender, which never receives a bounce. */
  sender: string;
  /** Envelope recipients (RCPT TO); duplicates (ignoring case) are dropped. */
  recipients: string[];
  /** The complete RFC 5322 message, exactly as it is to be delivered (before DKIM signing). */
  raw: Buffer;
  source: OutboundSource;
  /** Scheduled sending: nothing is delivered, local or remote, before this time. */
  sendAt?: Date;
}

export interface EnqueuedRecipient {
  id: number;
  address: string;
  /** Pigeon hosts the address's domain (delivered through lib/mail, not SMTP). */
  local: boolean;
  /** After the in-call local delivery: DELIVERED, BOUNCED, DEFERRED (kept for retry) or QUEUED. */
  status: RecipientStatus;
}

export interface EnqueueResult {
  messageId: number;
  recipients: EnqueuedRecipient[];
}

function validRecipient(address: string): { address: string; domain: string } {
  const { domain } = parseAddress(address);
  // Stored as given apart from case-folding the domain: remote local parts may be case-sensitive.
  const trimmed = address.trim();
  return { address: `${trimmed.slice(0, trimmed.lastIndexOf("@"))}@${domain}`, domain };
}

export async function enqueueMessage(
  input: EnqueueInput,
  opts: { ctx?: QueueContext; parsed?: ParsedMessage } = {},
): Promise<EnqueueResult> {
  const ctx = opts.ctx ?? getQueueContext();
  if (input.sender !== "") parseAddress(input.sender);
  if (input.recipients.length === 0) throw new AppError("INVALID", "no recipients");
  const seen = new Set<string>();
  const recipients: { address: string; domain: string }[] = [];
  for (const r of input.recipients) {
    const v = validRecipient(r);
    if (seen.has(v.address.toLowerCase())) continue;
    seen.add(v.address.toLowerCase());
    recipients.push(v);
  }

  const parsed = opts.parsed ?? (await parseMessage(input.raw));
  const resolutions = await Promise.all(recipients.map((r) => resolveRecipient(r.address)));
  const hosted = resolutions.map((r) => r.kind !== "not-local");

  const now = ctx.now();
  const sendAt = input.sendAt && input.sendAt.getTime() > now.getTime() ? input.sendAt : now;
  const immediate = sendAt === now;
  const expiresAt = new Date(sendAt.getTime() + ctx.config.queueLifetimeHours * 3_600_000);
  const leaseUntil = new Date(now.getTime() + ctx.leaseMs);

  const { blobHash, inserted } = await withTransaction(async (tx) => {
    const blobHash = await storeBlob(tx, input.raw, parsed);
    const inserted = await insertOutboundMessage(tx, {
      userId: input.userId ?? null,
      sender: input.sender,
      blobHash,
      source: input.source,
      sendAt,
      expiresAt,
      createdAt: now,
      // Hosted recipients are leased to this call, which delivers them right after the commit.
      recipients: recipients.map((r, i) => ({ ...r, leaseUntil: immediate && hosted[i] ? leaseUntil : null })),
    });
    if (inserted.recipients.some((r) => !r.leased)) await notifyQueue(tx);
    return { blobHash, inserted };
  });

  const result: EnqueueResult = {
    messageId: inserted.messageId,
    recipients: inserted.recipients.map((r, i) => ({ id: r.id, address: r.address, local: hosted[i], status: "QUEUED" })),
  };

  const leased: ClaimedRecipient[] = inserted.recipients
    .filter((r) => r.leased)
    .map((r) => ({
      id: r.id,
      messageId: inserted.messageId,
      address: r.address,
      domain: r.domain,
      attempts: 1,
      abandoned: false,
      delayNotifiedAt: null,
      sender: input.sender,
      blobHash,
      userId: input.userId ?? null,
      source: input.source,
      createdAt: now,
      expiresAt,
    }));
  if (leased.length) {
    try {
      // All local recipients in one store transaction: one copy per user across their addresses.
      const { statuses } = await processGroup(leased, ctx, { raw: input.raw, parsed });
      for (const rec of result.recipients) {
        const s = statuses.get(rec.id);
        if (s) rec.status = s;
      }
    } catch (err) {
      // Committed and leased: the relay takes over when the lease runs out.
      ctx.log(`message ${inserted.messageId}: local delivery left to the relay: ${(err as Error).message}`);
    }
  }
  return result;
}
