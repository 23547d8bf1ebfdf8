import { Resolver } from "node:dns/promises";

// DNS for the SMTP servers: SPF, DKIM, DMARC and ARC lookups (mailauth) and the reverse lookup
// of connecting clients (smtp-server), through DNS_SERVERS when set, else the system resolvers.

/** Same contract as `dns.promises.resolve(name, rrtype)`: same results, same error codes. */
export type DnsResolve = (name: string, rrtype: string) => Promise<unknown>;

export interface MailDns {
  resolve: DnsResolve;
  /** PTR names of an IP address; rejects like `dns.promises.reverse`. */
  reverse(ip: string): Promise<string[]>;
}

export function createMailDns(servers: readonly string[], opts: { timeoutMs?: number; tries?: number } = {}): MailDns {
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? 3000, tries: opts.tries ?? 2 });
  // node:dns takes "host:port" and "[v6]:port" as they are written in DNS_SERVERS.
  if (servers.length) resolver.setServers([...servers]);
  return {
    resolve: (name, rrtype) => resolver.resolve(name, rrtype),
    reverse: (ip) => resolver.reverse(ip),
  };
}
