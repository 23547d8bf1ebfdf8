import { authenticate, type DNSResolver } from "mailauth";
import type { DnsResolve } from "./dns.ts";

// SPF, DKIM, DMARC and ARC for one received message (mailauth), reduced to the decision the MX
// takes: deliver, deliver to Junk, or refuse. The result fields go into Authentication-Results
// (RFC 8601) under MAIL_HOSTNAME as authserv-id.

export type AuthVerdict = "deliver" | "junk" | "reject";

export interface MessageAuthentication {
  /** Trace header fields to prepend (Authentication-Results, Received-SPF), CRLF-terminated. */
  headers: string;
  verdict: AuthVerdict;
  /** The From domain whose DMARC policy decided a junk or reject verdict. */
  dmarcDomain?: string;
  summary: { spf: string; dkim: string; dmarc: string; arc: string };
}

export async function authenticateMessage(
  raw: Buffer,
  opts: { ip: string; helo: string; sender: string; mta: string; resolve: DnsResolve; random?: () => number },
): Promise<MessageAuthentication> {
  const result = await authenticate(raw, {
    ip: opts.ip,
    helo: opts.helo,
    sender: opts.sender,
    mta: opts.mta,
    resolver: opts.resolve as DNSResolver,
    disableBimi: true,
  });
  const dmarc = result.dmarc || undefined;
  let verdict: AuthVerdict = "deliver";
  if (dmarc && dmarc.status.result === "fail") {
    let policy = dmarc.policy;
    // RFC 7489 §6.6.4: pct<100 applies the policy to that share of failing mail; the rest gets
    // the next policy down (reject → quarantine → none).
    const pct = dmarc.pct === undefined ? 100 : Number(dmarc.pct);
    if (pct < 100 && (opts.random ?? Math.random)() * 100 >= pct) {
      policy = policy === "reject" ? "quarantine" : "none";
    }
    if (policy === "reject") verdict = "reject";
    else if (policy === "quarantine") verdict = "junk";
  }
  const dkimResults = result.dkim?.results ?? [];
  return {
    headers: result.headers,
    verdict,
    dmarcDomain: verdict === "deliver" ? undefined : dmarc?.domain,
    summary: {
      spf: result.spf ? result.spf.status.result : "none",
      dkim: dkimResults.length ? dkimResults.map((r) => r.status.result).join(",") : "none",
      dmarc: dmarc ? dmarc.status.result : "none",
      arc: result.arc ? result.arc.status.result : "none",
    },
  };
}
