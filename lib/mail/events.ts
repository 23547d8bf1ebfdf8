import pg from "pg";
import { getDatabaseUrl } from "../db/client.ts";

// Mail events cross processes through Postgres NOTIFY. They are sent inside the changing
// transaction, and Postgres delivers them only when it commits: commit first, then publish.

export const MAIL_CHANNEL = "pigeon_mail";

export type MailEventKind = "append" | "flags" | "expunge" | "mailbox";

export interface MailEvent {
  userId: number;
  /** Null for account-wide changes (mailbox created, renamed or deleted). */
  mailboxId: number | null;
  modSeq: number;
  kind: MailEventKind;
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

export async function publishMailEvent(tx: Queryable, event: MailEvent): Promise<void> {
  const payload = JSON.stringify({ u: event.userId, m: event.mailboxId, s: event.modSeq, k: event.kind });
  await tx.query("SELECT pg_notify($1, $2)", [MAIL_CHANNEL, payload]);
}

export type MailEventListener = (event: MailEvent) => void;

const listeners = new Set<MailEventListener>();
let listenClient: pg.Client | undefined;
let connecting: Promise<void> | undefined;
let reconnectTimer: NodeJS.Timeout | undefined;

function dispatch(payload: string | undefined) {
  if (!payload) return;
  let raw: { u: number; m: number | null; s: number; k: MailEventKind };
  try {
    raw = JSON.parse(payload);
  } catch {
    return;
  }
  const event: MailEvent = { userId: raw.u, mailboxId: raw.m, modSeq: raw.s, kind: raw.k };
  for (const l of listeners) {
    try {
      l(event);
    } catch (err) {
      console.error("mail event listener failed:", err);
    }
  }
}

async function connectListener(): Promise<void> {
  const client = new pg.Client({ connectionString: getDatabaseUrl() });
  client.on("notification", (msg) => dispatch(msg.payload));
  client.on("error", () => scheduleReconnect(client));
  client.on("end", () => scheduleReconnect(client));
  await client.connect();
  await client.query(`LISTEN ${MAIL_CHANNEL}`);
  listenClient = client;
}

function scheduleReconnect(client: pg.Client) {
  if (listenClient !== client) return;
  listenClient = undefined;
  if (listeners.size === 0 || reconnectTimer) return;
  reconnectTimer = setTimeout(() => {
    reconnectTimer = undefined;
    ensureListening().catch(() => scheduleReconnect(client));
  }, 500);
}

function ensureListening(): Promise<void> {
  if (listenClient) return Promise.resolve();
  connecting ??= connectListener().finally(() => {
    connecting = undefined;
  });
  return connecting;
}

/**
 * Calls `listener` for every mail event of every process. Resolves once listening; returns the
 * function that stops it. One LISTEN connection per process serves all listeners.
 */
export async function subscribeMailEvents(listener: MailEventListener): Promise<() => Promise<void>> {
  listeners.add(listener);
  await ensureListening();
  return async () => {
    listeners.delete(listener);
    if (listeners.size === 0 && listenClient) {
      const c = listenClient;
      listenClient = undefined;
      await c.end().catch(() => undefined);
    }
  };
}
