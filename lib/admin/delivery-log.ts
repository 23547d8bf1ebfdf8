import { getPool } from "../db/client.ts";
import { type AdminActor, requirePlatformAdmin } from "./access.ts";

// The log of what the MX did with inbound mail: each message accepted (delivered) or rejected,
// with the reason and the SPF/DKIM/DMARC verdicts. The inbound SMTP server writes it through
// recordDelivery; the admin page reads it through listDeliveries. Entries older than
// DELIVERY_LOG_DAYS are pruned as new ones arrive.

export type DeliveryStatus = "ACCEPTED" | "REJECTED";

export type DeliveryStage = "connect" | "helo" | "mail" | "rcpt" | "data";

export interface DeliveryRecord {
  direction?: "inbound" | "outbound";
  /** smtp-server's session id, to tie entries of one connection together. */
  sessionId?: string | null;
  remoteIp?: string | null;
  remoteHost?: string | null;
  helo?: string | null;
  mailFrom?: string | null;
  recipients?: string[];
  status: DeliveryStatus;
  /** The SMTP stage that decided: connect, helo, mail, rcpt or data. */
  stage?: DeliveryStage | null;
  /** Why it was rejected (the reply text), or a note for an accepted message (e.g. "to Junk"). */
  reason?: string | null;
  /** Verdicts as in Authentication-Results: pass, fail, softfail, neutral, none, temperror, permerror. */
  spf?: string | null;
  dkim?: string | null;
  dmarc?: string | null;
  arc?: string | null;
  messageId?: string | null;
  size?: number | null;
  at?: Date;
}

export interface DeliveryLogEntry extends Required<Omit<DeliveryRecord, "at" | "stage">> {
  stage: DeliveryStage | null;
  id: number;
  createdAt: Date;
}

export const DELIVERY_LOG_DAYS = 30;
const PRUNE_EVERY = 500;
let recorded = 0;

const clip = (v: string | null | undefined, max: number) => (v == null ? null : v.slice(0, max));

/**
 * Appends one entry. Never throws: a log that cannot be written must not turn a delivery into a
 * failure (the error is printed instead).
 */
export async function recordDelivery(entry: DeliveryRecord): Promise<void> {
  try {
    await getPool().query(
      `INSERT INTO delivery_log (created_at, direction, session_id, remote_ip, remote_host, helo, mail_from, recipients,
         status, stage, reason, spf, dkim, dmarc, arc, message_id, size)
       VALUES (coalesce($1, now()), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
        entry.at ?? null,
        entry.direction ?? "inbound",
        clip(entry.sessionId, 100),
        clip(entry.remoteIp, 64) ?? "",
        clip(entry.remoteHost, 255),
        clip(entry.helo, 255),
        clip(entry.mailFrom, 512),
        (entry.recipients ?? []).slice(0, 100).map((r) => r.slice(0, 512)),
        entry.status,
        entry.stage ?? null,
        clip(entry.reason, 1000),
        clip(entry.spf, 32),
        clip(entry.dkim, 32),
        clip(entry.dmarc, 32),
        clip(entry.arc, 32),
        clip(entry.messageId, 998),
        entry.size ?? null,
      ],
    );
    if (++recorded % PRUNE_EVERY === 0) await pruneDeliveryLog();
  } catch (err) {
    console.error("delivery log: could not record an entry:", err instanceof Error ? err.message : err);
  }
}

export async function pruneDeliveryLog(input: { olderThanDays?: number } = {}): Promise<number> {
  const r = await getPool().query("DELETE FROM delivery_log WHERE created_at < now() - make_interval(days => $1)", [
    input.olderThanDays ?? DELIVERY_LOG_DAYS,
  ]);
  return r.rowCount ?? 0;
}

/** Newest first. */
export async function listDeliveries(input: { status?: DeliveryStatus; limit?: number } = {}): Promise<DeliveryLogEntry[]> {
  const r = await getPool().query<{
    id: number;
    created_at: Date;
    direction: "inbound" | "outbound";
    session_id: string | null;
    remote_ip: string;
    remote_host: string | null;
    helo: string | null;
    mail_from: string | null;
    recipients: string[];
    status: DeliveryStatus;
    stage: DeliveryStage | null;
    reason: string | null;
    spf: string | null;
    dkim: string | null;
    dmarc: string | null;
    arc: string | null;
    message_id: string | null;
    size: number | null;
  }>(
    `SELECT * FROM delivery_log WHERE $1::"DeliveryStatus" IS NULL OR status = $1::"DeliveryStatus"
     ORDER BY created_at DESC, id DESC LIMIT $2`,
    [input.status ?? null, Math.min(Math.max(input.limit ?? 200, 1), 1000)],
  );
  return r.rows.map((x) => ({
    id: x.id,
    createdAt: x.created_at,
    direction: x.direction,
    sessionId: x.session_id,
    remoteIp: x.remote_ip,
    remoteHost: x.remote_host,
    helo: x.helo,
    mailFrom: x.mail_from,
    recipients: x.recipients,
    status: x.status,
    stage: x.stage,
    reason: x.reason,
    spf: x.spf,
    dkim: x.dkim,
    dmarc: x.dmarc,
    arc: x.arc,
    messageId: x.message_id,
    size: x.size,
  }));
}

export async function listDeliveriesAsAdmin(input: { actor: AdminActor; status?: DeliveryStatus; limit?: number }) {
  requirePlatformAdmin(input.actor);
  return listDeliveries({ status: input.status, limit: input.limit });
}
