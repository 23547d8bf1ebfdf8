import { getActiveDkimKeys } from "../accounts/dkim.ts";
import { getConfig, type Config } from "../config.ts";
import type { DkimSigningKey } from "../smtp/dkim-sign.ts";
import { cachedMxDns, createMxDns, type MxDns } from "../smtp/mx.ts";

// What queue processing needs from its surroundings, in one object so that tests can swap the
// clock, DNS and timeouts, and so that a relay shares caches across its deliveries.

export interface SmtpTimeouts {
  /** TCP connect. */
  connectMs: number;
  /** Waiting for the 220 greeting. */
  greetingMs: number;
  /** Any other silence (RFC 5321 §4.5.3.2 allows up to 10 minutes after the final dot). */
  socketMs: number;
}

export interface QueueContext {
  config: Config;
  /** The clock every queue decision uses (attempt times, leases, expiry); tests move it. */
  now: () => Date;
  log: (line: string) => void;
  dns: MxDns;
  /** For shuffling MX records of equal preference. */
  random: () => number;
  /** How long a claimed recipient stays invisible to other relays (renewed while in flight). */
  leaseMs: number;
  smtpTimeouts: SmtpTimeouts;
  /** The signing key of a hosted domain, or null; cached briefly. */
  dkimKey(domain: string): Promise<DkimSigningKey | null>;
}

export interface QueueContextOptions {
  config?: Config;
  now?: () => Date;
  log?: (line: string) => void;
  dns?: MxDns;
  random?: () => number;
  leaseMs?: number;
  smtpTimeouts?: Partial<SmtpTimeouts>;
  dkimCacheMs?: number;
  /** How long successful DNS answers are reused (0: ask every time). */
  dnsCacheMs?: number;
}

export const DEFAULT_LEASE_MS = 15 * 60_000;

export function createQueueContext(opts: QueueContextOptions = {}): QueueContext {
  const config = opts.config ?? getConfig();
  const dkimCacheMs = opts.dkimCacheMs ?? 60_000;
  const dkimCache = new Map<string, { key: DkimSigningKey | null; until: number }>();
  return {
    config,
    now: opts.now ?? (() => new Date()),
    log: opts.log ?? ((line) => console.log(`[queue] ${line}`)),
    dns: opts.dns ?? cachedMxDns(createMxDns(config.dnsServers), opts.dnsCacheMs ?? 60_000),
    random: opts.random ?? Math.random,
    leaseMs: opts.leaseMs ?? DEFAULT_LEASE_MS,
    smtpTimeouts: { connectMs: 30_000, greetingMs: 120_000, socketMs: 600_000, ...opts.smtpTimeouts },
    async dkimKey(domain) {
      const hit = dkimCache.get(domain);
      if (hit && hit.until > Date.now()) return hit.key;
      const keys = await getActiveDkimKeys({ domain });
      const key = keys[0] ? { domain, selector: keys[0].selector, privateKey: keys[0].privateKey } : null;
      dkimCache.set(domain, { key, until: Date.now() + dkimCacheMs });
      return key;
    },
  };
}

let shared: QueueContext | undefined;

/** The process's context from its configuration (used by enqueueMessage when given none). */
export function getQueueContext(): QueueContext {
  shared ??= createQueueContext();
  return shared;
}
