import type { ImapFlow } from "imapflow";
import { getConfig } from "../config.ts";
import { mintImapToken } from "../auth/imap-token.ts";
import { AppError } from "../errors.ts";
import { createImapClient, pigeonImapEndpoint, type ImapEndpoint } from "./connection.ts";
import { isAuthError, isConnectionError, SESSION_ENDED_MESSAGE, toAppError } from "./errors.ts";

// The web's IMAP connections: per signed-in web session, a connection kept open and reused by
// every request of that session, closed after a while unused, and opened again (with a fresh
// token) when it has gone away. A session has two lanes so that work which wanders across
// folders (opening a conversation searches every folder) does not deselect the folder the list
// is paging through: re-selecting a large folder costs the server its UID map.
//
// The pool lives on globalThis: Next.js may load this module once per route bundle, and every
// route of a session must share one connection.

export interface ImapIdentity {
  sessionId: string;
  userId: number;
  email: string;
}

export type ImapLane = "main" | "aux";

interface PooledClient {
  client: ImapFlow | null;
  connecting: Promise<ImapFlow> | null;
  active: number;
  lastUsed: number;
}

interface SessionEntry {
  identity: ImapIdentity;
  lanes: Record<ImapLane, PooledClient>;
}

export interface ImapPoolOptions {
  /** Where to connect; Pigeon's own server (from the environment) by default. */
  endpoint?: () => Promise<ImapEndpoint>;
  /** Close a connection unused this long (default 5 minutes). */
  idleMs?: number;
  /** Most sessions with open connections; the least recently used idle ones are closed first. */
  maxSessions?: number;
}

interface PoolState {
  entries: Map<string, SessionEntry>;
  options: Required<ImapPoolOptions>;
  sweeper: NodeJS.Timeout | null;
}

const KEY = Symbol.for("pigeon.imapPool");
const globalStore = globalThis as unknown as { [KEY]?: PoolState };

function defaults(): Required<ImapPoolOptions> {
  return { endpoint: () => pigeonImapEndpoint(getConfig()), idleMs: 5 * 60_000, maxSessions: 2000 };
}

function state(): PoolState {
  globalStore[KEY] ??= { entries: new Map(), options: defaults(), sweeper: null };
  return globalStore[KEY];
}

/** Overrides where and how the pool connects (tests, benchmarks). */
export function configureImapPool(options: ImapPoolOptions): void {
  const s = state();
  s.options = { ...defaults(), ...options };
}

function newLane(): PooledClient {
  return { client: null, connecting: null, active: 0, lastUsed: Date.now() };
}

function entryFor(identity: ImapIdentity): SessionEntry {
  const s = state();
  let entry = s.entries.get(identity.sessionId);
  if (!entry || entry.identity.userId !== identity.userId) {
    if (entry) closeEntry(entry);
    entry = { identity, lanes: { main: newLane(), aux: newLane() } };
    s.entries.set(identity.sessionId, entry);
    evictIfFull();
  }
  startSweeper();
  return entry;
}

function closeClient(lane: PooledClient): void {
  const c = lane.client;
  lane.client = null;
  if (!c) return;
  c.logout().catch(() => c.close());
}

function closeEntry(entry: SessionEntry): void {
  closeClient(entry.lanes.main);
  closeClient(entry.lanes.aux);
}

function evictIfFull(): void {
  const s = state();
  if (s.entries.size <= s.options.maxSessions) return;
  const idle = [...s.entries.entries()]
    .filter(([, e]) => e.lanes.main.active === 0 && e.lanes.aux.active === 0)
    .sort(([, a], [, b]) => Math.max(a.lanes.main.lastUsed, a.lanes.aux.lastUsed) - Math.max(b.lanes.main.lastUsed, b.lanes.aux.lastUsed));
  for (const [id, e] of idle.slice(0, s.entries.size - s.options.maxSessions)) {
    closeEntry(e);
    s.entries.delete(id);
  }
}

function sweep(): void {
  const s = state();
  const now = Date.now();
  for (const [id, entry] of s.entries) {
    for (const lane of Object.values(entry.lanes)) {
      if (lane.client && lane.active === 0 && now - lane.lastUsed > s.options.idleMs) closeClient(lane);
    }
    if (!entry.lanes.main.client && !entry.lanes.aux.client && !entry.lanes.main.connecting && !entry.lanes.aux.connecting) {
      s.entries.delete(id);
    }
  }
  if (s.entries.size === 0 && s.sweeper) {
    clearInterval(s.sweeper);
    s.sweeper = null;
  }
}

function startSweeper(): void {
  const s = state();
  if (s.sweeper) return;
  s.sweeper = setInterval(sweep, Math.min(30_000, Math.max(1_000, s.options.idleMs / 4)));
  s.sweeper.unref();
}

/** A connected, authenticated client for `identity` (not pooled: the caller closes it). */
export async function openImapClient(identity: ImapIdentity, extra: Parameters<typeof createImapClient>[2] = {}): Promise<ImapFlow> {
  const endpoint = await state().options.endpoint();
  const token = mintImapToken({ sessionId: identity.sessionId, userId: identity.userId });
  const client = createImapClient(endpoint, { user: identity.email, accessToken: token }, extra);
  // imapflow emits 'error' once before closing; the pool notices the close by `usable`.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (err) {
    client.close();
    throw toAppError(err);
  }
  return client;
}

async function acquire(lane: PooledClient, identity: ImapIdentity): Promise<ImapFlow> {
  if (lane.client?.usable) return lane.client;
  if (lane.client) closeClient(lane);
  lane.connecting ??= openImapClient(identity).finally(() => {
    lane.connecting = null;
  });
  const client = await lane.connecting;
  if (lane.client && lane.client !== client) {
    // Another caller's connection won the race; keep one.
    client.logout().catch(() => client.close());
    return lane.client;
  }
  lane.client = client;
  return client;
}

/**
 * Runs `fn` with the session's pooled connection. A connection that has gone away (server
 * restart, idle logout) is replaced once; a refused token means the session ended (401).
 */
export async function withImap<T>(identity: ImapIdentity, fn: (client: ImapFlow) => Promise<T>, opts: { lane?: ImapLane } = {}): Promise<T> {
  const entry = entryFor(identity);
  const lane = entry.lanes[opts.lane ?? "main"];
  lane.active++;
  try {
    for (let attempt = 0; ; attempt++) {
      const client = await acquire(lane, identity);
      try {
        return await fn(client);
      } catch (err) {
        if (isAuthError(err)) {
          closeClient(lane);
          throw new AppError("UNAUTHORIZED", SESSION_ENDED_MESSAGE);
        }
        const dropped = isConnectionError(err) || !client.usable;
        if (dropped && lane.client === client) closeClient(lane);
        if (dropped && attempt === 0) continue;
        throw toAppError(err);
      }
    }
  } finally {
    lane.active--;
    lane.lastUsed = Date.now();
  }
}

/** Closes every pooled connection of a web session (sign-out). */
export function closeImapSession(sessionId: string): void {
  const s = state();
  const entry = s.entries.get(sessionId);
  if (!entry) return;
  closeEntry(entry);
  s.entries.delete(sessionId);
}

/** Closes every pooled connection (tests, shutdown). */
export async function closeImapPool(): Promise<void> {
  const s = state();
  const clients = [...s.entries.values()].flatMap((e) => [e.lanes.main.client, e.lanes.aux.client]).filter((c): c is ImapFlow => !!c);
  s.entries.clear();
  if (s.sweeper) clearInterval(s.sweeper);
  s.sweeper = null;
  await Promise.all(clients.map((c) => c.logout().catch(() => c.close())));
}

/** Open pooled connections (tests, health). */
export function imapPoolSize(): number {
  let n = 0;
  for (const e of state().entries.values()) n += (e.lanes.main.client ? 1 : 0) + (e.lanes.aux.client ? 1 : 0);
  return n;
}
