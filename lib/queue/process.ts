import { resolveRecipient, type RecipientResolution } from "../accounts/resolve-recipient.ts";
import { withTransaction } from "../db/client.ts";
import { storeBlob } from "../mail/blobs.ts";
import { parseMessage, type ParsedMessage } from "../mime/parse.ts";
import { parseTopHeaders } from "../mime/structure.ts";
import { domainOf, signMessage } from "../smtp/dkim-sign.ts";
import { buildDsn, type DsnRecipient } from "../smtp/dsn.ts";
import type { QueueContext } from "./context.ts";
import { deliverLocal } from "./deliver-local.ts";
import { deliverRemote } from "./deliver-remote.ts";
import { bounced, deferred, type DeliveryOutcome } from "./outcome.ts";
import { countReceivedHeaders, DELAY_NOTICE_AFTER_MS, MAX_RECEIVED_HEADERS, MAX_RECIPIENTS_PER_TRANSACTION, nextAttemptAt } from "./schedule.ts";
import {
  insertOutboundMessage,
  notifyQueue,
  readQueuedBlob,
  updateRecipients,
  type ClaimedRecipient,
  type RecipientStatus,
  type RecipientUpdate,
} from "./store.ts";

// One claimed group (a message's recipients at one domain): deliver, then record every outcome
// and the sender's notification in one transaction. A DSN is itself a queued message (null
// sender), so a bounce and its report commit together: the report is sent exactly once.

export interface LoadedMessage {
  raw: Buffer;
  parsed?: ParsedMessage;
}

export interface GroupResult {
  statuses: Map<number, RecipientStatus>;
}

/** Groups claimed recipients by message and domain, the unit of one SMTP transaction. */
export function groupClaimed(rows: ClaimedRecipient[]): ClaimedRecipient[][] {
  const groups = new Map<string, ClaimedRecipient[]>();
  for (const r of rows) {
    const key = `${r.messageId}\u0000${r.domain}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()];
}

function fromHeaderDomain(raw: Buffer): string {
  const from = parseTopHeaders(raw).find((h) => h.name === "from")?.value ?? "";
  const angle = /<([^<>\s]+@[^<>\s]+)>/.exec(from);
  const bare = /([^\s<>,;:"()]+@[^\s<>,;:"()]+)/.exec(from);
  return domainOf(angle?.[1] ?? bare?.[1] ?? "");
}

/** Signs with the From domain's key (DMARC alignment) or else the envelope sender domain's. */
async function signForRelay(raw: Buffer, sender: string, ctx: QueueContext): Promise<Buffer> {
  const candidates = [...new Set([fromHeaderDomain(raw), domainOf(sender)].filter(Boolean))];
  for (const domain of candidates) {
    const key = await ctx.dkimKey(domain);
    if (!key) continue;
    try {
      return await signMessage(raw, key, { signTime: ctx.now() });
    } catch (err) {
      ctx.log(`DKIM signing for ${domain} failed, sending unsigned: ${(err as Error).message}`);
      return raw;
    }
  }
  return raw;
}

async function deliverGroup(rows: ClaimedRecipient[], raw: Buffer, parsed: ParsedMessage | undefined, ctx: QueueContext): Promise<Map<number, DeliveryOutcome>> {
  const first = rows[0];
  const outcomes = new Map<number, DeliveryOutcome>();
  const hops = countReceivedHeaders(raw);
  if (hops > MAX_RECEIVED_HEADERS) {
    for (const r of rows) outcomes.set(r.id, bounced("5.4.6", `mail loop: the message has passed ${hops} hosts (Received headers)`));
    return outcomes;
  }
  const resolutions: RecipientResolution[] = await Promise.all(rows.map((r) => resolveRecipient(r.address)));
  const local = rows.map((row, i) => ({ row, resolution: resolutions[i] })).filter((x) => x.resolution.kind !== "not-local");
  const remote = rows.filter((_, i) => resolutions[i].kind === "not-local");
  if (local.length) {
    for (const [id, o] of await deliverLocal(local, { raw, parsed, blobHash: first.blobHash })) outcomes.set(id, o);
  }
  if (remote.length) {
    const signed = await signForRelay(raw, first.sender, ctx);
    for (const domain of new Set(remote.map((r) => r.domain))) {
      const rs = remote.filter((r) => r.domain === domain);
      const byAddress = await deliverRemote({ domain, sender: first.sender, recipients: rs.map((r) => r.address), raw: signed }, ctx);
      for (const r of rs) outcomes.set(r.id, byAddress.get(r.address) ?? deferred("4.4.2", "no outcome for this recipient"));
    }
  }
  return outcomes;
}

/**
 * Delivers one group (normally a message's recipients at one domain; enqueue passes all of a
 * message's local recipients at once, so a user reached through several addresses gets one copy)
 * and records the outcomes. Never throws: failures become deferrals.
 */
export async function processGroup(rows: ClaimedRecipient[], ctx: QueueContext, loaded?: LoadedMessage): Promise<GroupResult> {
  if (rows.length > MAX_RECIPIENTS_PER_TRANSACTION) {
    // One SMTP transaction per chunk, each chunk's outcomes recorded as soon as it is done.
    const statuses = new Map<number, RecipientStatus>();
    for (let i = 0; i < rows.length; i += MAX_RECIPIENTS_PER_TRANSACTION) {
      const r = await processGroup(rows.slice(i, i + MAX_RECIPIENTS_PER_TRANSACTION), ctx, loaded);
      for (const [id, s] of r.statuses) statuses.set(id, s);
    }
    return { statuses };
  }
  const first = rows[0];
  let raw: Buffer | null = loaded?.raw ?? null;
  let outcomes: Map<number, DeliveryOutcome>;
  try {
    raw ??= await readQueuedBlob(first.blobHash);
    if (!raw) throw new Error(`message data ${first.blobHash} missing`);
    outcomes = await deliverGroup(rows, raw, loaded?.parsed, ctx);
  } catch (err) {
    ctx.log(`message ${first.messageId} to ${first.domain}: ${(err as Error).message}`);
    outcomes = new Map(rows.map((r) => [r.id, deferred("4.3.0", `local error: ${(err as Error).message}`)]));
  }
  for (const r of rows) {
    const o = outcomes.get(r.id);
    const what = !o ? "no outcome" : o.kind === "delivered" ? `delivered (${o.reply})` : `${o.kind} (${o.error})`;
    ctx.log(`message ${r.messageId} <${r.sender}> -> <${r.address}> attempt ${r.attempts}: ${what}`);
  }
  return recordOutcomes(rows, outcomes, raw, ctx);
}

interface Decision {
  update: RecipientUpdate;
  report?: DsnRecipient;
}

function decide(row: ClaimedRecipient, outcome: DeliveryOutcome | undefined, now: Date): Decision {
  const o = outcome ?? deferred("4.4.2", "no outcome for this recipient");
  const base = { id: row.id, remoteReply: null, lastError: null, nextAttemptAt: null, delayNotifiedAt: null };
  if (o.kind === "delivered") return { update: { ...base, status: "DELIVERED", remoteReply: o.reply } };
  const report = { address: row.address, status: o.status, remoteMta: o.remoteMta, diagnostic: o.diagnostic, diagnosticType: o.diagnosticType, lastAttemptDate: now };
  if (o.kind === "bounced") return { update: { ...base, status: "BOUNCED", lastError: o.error }, report: { ...report, action: "failed" } };
  if (now.getTime() >= row.expiresAt.getTime()) {
    const hours = Math.round((row.expiresAt.getTime() - row.createdAt.getTime()) / 3_600_000);
    const error = `delivery time expired: gave up after ${hours} hours in the queue; last error: ${o.error}`;
    return { update: { ...base, status: "BOUNCED", lastError: error }, report: { ...report, action: "failed", diagnostic: o.diagnostic ?? error } };
  }
  const update: RecipientUpdate = { ...base, status: "DEFERRED", lastError: o.error, nextAttemptAt: nextAttemptAt(now, row.attempts, row.expiresAt) };
  if (!row.delayNotifiedAt && now.getTime() - row.createdAt.getTime() >= DELAY_NOTICE_AFTER_MS) {
    update.delayNotifiedAt = now;
    return { update, report: { ...report, action: "delayed", willRetryUntil: row.expiresAt } };
  }
  return { update };
}

interface PreparedReport {
  raw: Buffer;
  parsed: ParsedMessage;
  local: boolean;
  domain: string;
  recipients: DsnRecipient[];
}

async function prepareReport(first: ClaimedRecipient, recipients: DsnRecipient[], original: Buffer | null, local: boolean, ctx: QueueContext): Promise<PreparedReport> {
  const raw = buildDsn({
    reportingMta: ctx.config.mailHostname,
    to: first.sender,
    original: original ?? Buffer.alloc(0),
    arrivalDate: first.createdAt,
    recipients,
    date: ctx.now(),
  });
  return { raw, parsed: await parseMessage(raw), local, domain: domainOf(first.sender), recipients };
}

async function withRetries<T>(what: string, ctx: QueueContext, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 4) throw err;
      ctx.log(`${what} failed (${(err as Error).message}); retrying`);
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}

/**
 * Records outcomes (releasing the leases) and, in the same transaction, queues one DSN to the
 * sender for every recipient that bounced or waited past the delay-notice threshold. A local
 * sender's DSN is then delivered at once.
 */
export async function recordOutcomes(
  rows: ClaimedRecipient[],
  outcomes: Map<number, DeliveryOutcome>,
  original: Buffer | null,
  ctx: QueueContext,
): Promise<GroupResult> {
  const first = rows[0];
  const now = ctx.now();
  const decisions = rows.map((r) => decide(r, outcomes.get(r.id), now));
  // Never a report to the null sender (RFC 3464 §2 / RFC 5321 §4.5.5): that is how loops start.
  const wantsReport = first.sender !== "" && decisions.some((d) => d.report);
  let prepared: PreparedReport | null = null;
  if (wantsReport) {
    const resolution = await resolveRecipient(first.sender).catch(() => ({ kind: "not-local" as const }));
    prepared = await prepareReport(first, decisions.flatMap((d) => (d.report ? [d.report] : [])), original, resolution.kind === "local", ctx);
  }

  let followUp: { row: ClaimedRecipient; loaded: LoadedMessage } | null = null;
  let changed = new Set<number>();
  await withRetries(`recording outcomes of message ${first.messageId}`, ctx, () =>
    withTransaction(async (tx) => {
      followUp = null;
      changed = await updateRecipients(tx, decisions.map((d) => d.update), now);
      if (!prepared) return;
      const reported = decisions.filter((d) => d.report && changed.has(d.update.id)).map((d) => d.report!);
      if (reported.length === 0) return;
      if (reported.length !== prepared.recipients.length) prepared = await prepareReport(first, reported, original, prepared.local, ctx);
      const blobHash = await storeBlob(tx, prepared.raw, prepared.parsed);
      const leaseUntil = prepared.local ? new Date(now.getTime() + ctx.leaseMs) : null;
      const lifetimeMs = ctx.config.queueLifetimeHours * 3_600_000;
      const dsn = await insertOutboundMessage(tx, {
        userId: null,
        sender: "",
        blobHash,
        source: "dsn",
        sendAt: now,
        expiresAt: new Date(now.getTime() + lifetimeMs),
        createdAt: now,
        recipients: [{ address: first.sender, domain: prepared.domain, leaseUntil }],
      });
      if (!prepared.local) await notifyQueue(tx);
      else {
        const r = dsn.recipients[0];
        followUp = {
          row: {
            id: r.id,
            messageId: dsn.messageId,
            address: r.address,
            domain: r.domain,
            attempts: 1,
            abandoned: false,
            delayNotifiedAt: null,
            sender: "",
            blobHash,
            userId: null,
            source: "dsn",
            createdAt: now,
            expiresAt: new Date(now.getTime() + lifetimeMs),
          },
          loaded: { raw: prepared.raw, parsed: prepared.parsed },
        };
      }
    }),
  ).catch((err) => {
    // The leases run out and another attempt follows; the remote may then see the message twice.
    ctx.log(`could not record outcomes of message ${first.messageId}: ${(err as Error).message}`);
  });

  const statuses = new Map<number, RecipientStatus>();
  for (const d of decisions) if (changed.has(d.update.id)) statuses.set(d.update.id, d.update.status);
  const next = followUp as { row: ClaimedRecipient; loaded: LoadedMessage } | null;
  if (next) {
    ctx.log(`message ${first.messageId}: delivery status notification queued as message ${next.row.messageId}`);
    await processGroup([next.row], ctx, next.loaded);
  } else if (prepared && changed.size) {
    ctx.log(`message ${first.messageId}: delivery status notification queued for <${first.sender}>`);
  }
  return { statuses };
}
