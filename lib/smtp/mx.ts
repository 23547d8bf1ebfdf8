import { Resolver } from "node:dns/promises";
import net from "node:net";

// Where mail for a domain goes (RFC 5321 §5.1): its MX records by preference, equal preferences
// in random order; without MX records the domain itself (implicit MX, from its A/AAAA records);
// a null MX (RFC 7505, `0 .`) says the domain takes no mail at all.

export interface MxDns {
  resolveMx(name: string): Promise<{ exchange: string; priority: number }[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

/** A resolver honouring DNS_SERVERS ("host:port", as node:dns takes them); system resolvers when empty. */
export function createMxDns(servers: readonly string[], opts: { timeoutMs?: number; tries?: number } = {}): MxDns {
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? 3000, tries: opts.tries ?? 2 });
  if (servers.length) resolver.setServers([...servers]);
  return {
    resolveMx: (name) => resolver.resolveMx(name),
    resolve4: (name) => resolver.resolve4(name),
    resolve6: (name) => resolver.resolve6(name),
  };
}

/**
 * Remembers successful answers for `ttlMs` (failures are never cached), sparing a busy relay
 * three lookups per message to the same domain. Node's MX answers carry no TTL; a minute is a
 * floor most zones allow.
 */
export function cachedMxDns(dns: MxDns, ttlMs: number, clock: () => number = Date.now): MxDns {
  if (ttlMs <= 0) return dns;
  const cache = new Map<string, { until: number; value: Promise<unknown> }>();
  function cached<T>(kind: string, name: string, lookup: (name: string) => Promise<T>): Promise<T> {
    const key = `${kind} ${name.toLowerCase()}`;
    const now = clock();
    const hit = cache.get(key);
    if (hit && hit.until > now) return hit.value as Promise<T>;
    if (cache.size > 10_000) cache.clear();
    const value = lookup(name);
    cache.set(key, { until: now + ttlMs, value });
    value.catch(() => cache.delete(key));
    return value;
  }
  return {
    resolveMx: (name) => cached("MX", name, (n) => dns.resolveMx(n)),
    resolve4: (name) => cached("A", name, (n) => dns.resolve4(n)),
    resolve6: (name) => cached("AAAA", name, (n) => dns.resolve6(n)),
  };
}

export interface MailHost {
  host: string;
  preference: number;
  /** True when the domain has no MX and its own address records stand in (RFC 5321 §5.1). */
  implicit: boolean;
}

/** A lookup that failed; `permanent` failures bounce, the others are retried later. */
export class MxLookupError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    /** RFC 3463 enhanced status for the DSN. */
    readonly status: string,
  ) {
    super(message);
    this.name = "MxLookupError";
  }
}

// NXDOMAIN and "no records of this type" are answers; anything else (SERVFAIL, timeouts,
// refused) says nothing about the domain and is retried.
const NO_SUCH_NAME = "ENOTFOUND";
const NO_DATA = "ENODATA";

function dnsCode(err: unknown): string {
  return (err as { code?: string })?.code ?? "EUNKNOWN";
}

function isNullMx(exchange: string): boolean {
  return exchange === "" || exchange === ".";
}

/** Orders MX records: ascending preference, equal preferences shuffled (RFC 5321 §5.1). */
export function orderMxRecords(records: { exchange: string; priority: number }[], random: () => number = Math.random): MailHost[] {
  const byPreference = new Map<number, string[]>();
  for (const r of records) {
    const host = r.exchange.toLowerCase().replace(/\.$/, "");
    const list = byPreference.get(r.priority) ?? [];
    if (!list.includes(host)) list.push(host);
    byPreference.set(r.priority, list);
  }
  const hosts: MailHost[] = [];
  for (const preference of [...byPreference.keys()].sort((a, b) => a - b)) {
    const list = byPreference.get(preference)!;
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    for (const host of list) hosts.push({ host, preference, implicit: false });
  }
  return hosts;
}

/**
 * The hosts to try for `domain`, in order. Throws MxLookupError: permanent for a domain that
 * does not exist, has neither MX nor address records, or publishes a null MX; temporary when
 * DNS could not answer.
 */
export async function lookupMailHosts(domain: string, opts: { dns: MxDns; random?: () => number }): Promise<MailHost[]> {
  const name = domain.toLowerCase().replace(/\.$/, "");
  let records: { exchange: string; priority: number }[];
  try {
    records = await opts.dns.resolveMx(name);
  } catch (err) {
    const code = dnsCode(err);
    if (code === NO_SUCH_NAME) throw new MxLookupError(`domain ${name} does not exist (NXDOMAIN)`, true, "5.1.2");
    if (code !== NO_DATA) throw new MxLookupError(`MX lookup for ${name} failed: ${code}`, false, "4.4.3");
    records = [];
  }

  if (records.length > 0) {
    // RFC 7505 §3: a null MX is the domain's only MX; should others stand beside it, use those.
    const usable = records.filter((r) => !isNullMx(r.exchange));
    if (usable.length === 0) throw new MxLookupError(`${name} accepts no mail (null MX, RFC 7505)`, true, "5.1.10");
    return orderMxRecords(usable, opts.random);
  }

  // No MX: the domain itself is the mail host, if it has an address (RFC 5321 §5.1).
  const addresses = await lookupHostAddresses(name, opts.dns).catch((err: unknown) => {
    if (err instanceof MxLookupError && err.permanent) {
      throw new MxLookupError(`${name} has no MX and no address records`, true, "5.1.2");
    }
    throw err;
  });
  if (addresses.length === 0) throw new MxLookupError(`${name} has no MX and no address records`, true, "5.1.2");
  return [{ host: name, preference: 0, implicit: true }];
}

/**
 * IPv4 then IPv6 addresses of a mail host. Rejects with a permanent MxLookupError when the name
 * has no address records at all, a temporary one when DNS did not answer.
 */
export async function lookupHostAddresses(host: string, dns: MxDns): Promise<string[]> {
  if (net.isIP(host)) return [host];
  const [v4, v6] = await Promise.allSettled([dns.resolve4(host), dns.resolve6(host)]);
  const addresses = [...(v4.status === "fulfilled" ? v4.value : []), ...(v6.status === "fulfilled" ? v6.value : [])];
  if (addresses.length > 0) return addresses;
  const codes = [v4, v6].map((r) => (r.status === "rejected" ? dnsCode(r.reason) : NO_DATA));
  if (codes.every((c) => c === NO_SUCH_NAME || c === NO_DATA)) {
    throw new MxLookupError(`mail host ${host} has no address records`, true, "5.4.4");
  }
  throw new MxLookupError(`address lookup for ${host} failed: ${codes.join("/")}`, false, "4.4.3");
}
