import { getConfig } from "../config.ts";
import { getClientSettings } from "./client-settings.ts";
import { dkimRecordValue, getPublishedDkimKeys } from "./dkim.ts";
import { getDomainOrThrow, getMtaStsPolicy } from "./domains.ts";

// Every DNS record a domain needs to receive, send and be found by clients, in zone-file syntax.

export type DnsRecordKind = "mx" | "spf" | "dkim" | "dmarc" | "srv" | "autoconfig" | "mta-sts" | "tls-rpt";

export interface DnsRecord {
  name: string;
  type: "MX" | "TXT" | "SRV" | "CNAME";
  value: string;
  purpose: string;
  /** What the record is for, so a DNS check knows how to compare what it finds. */
  kind: DnsRecordKind;
  /** For TXT records: the text itself, unquoted and unsplit. */
  text?: string;
  /** The record is recommended but mail works without it. */
  optional?: boolean;
}

function quoteTxt(value: string): string {
  // TXT strings are at most 255 bytes each (RFC 1035 §3.3.14); long values are split.
  const chunks = value.match(/.{1,250}/g) ?? [""];
  return chunks.map((c) => `"${c}"`).join(" ");
}

function txt(name: string, text: string, kind: DnsRecordKind, purpose: string, optional = false): DnsRecord {
  return { name, type: "TXT", value: quoteTxt(text), text, kind, purpose, ...(optional ? { optional } : {}) };
}

export async function getDnsRecords(input: { domain: string }): Promise<DnsRecord[]> {
  const domain = await getDomainOrThrow({ name: input.domain });
  const host = getConfig().mailHostname.replace(/\.$/, "");
  const ports = getClientSettings();
  const name = domain.name;
  const records: DnsRecord[] = [
    { name: `${name}.`, type: "MX", value: `10 ${host}.`, kind: "mx", purpose: "inbound mail goes to Pigeon" },
    txt(`${name}.`, "v=spf1 mx -all", "spf", "SPF: only the domain's MX hosts send its mail"),
  ];
  // Pending keys are published before they sign, retiring keys until they are retired.
  for (const key of await getPublishedDkimKeys({ domain: name })) {
    const state = key.state === "pending" ? ", new: publish before activating" : key.state === "active" ? ", previous: retire when no longer needed" : "";
    records.push(txt(`${key.selector}._domainkey.${name}.`, dkimRecordValue(key.publicKey), "dkim", `DKIM public key (selector ${key.selector}${state})`));
  }
  const srv = (service: string, port: number, purpose: string, optional = false): DnsRecord => ({
    name: `_${service}._tcp.${name}.`,
    type: "SRV",
    value: `0 1 ${port} ${host}.`,
    kind: "srv",
    purpose,
    ...(optional ? { optional } : {}),
  });
  records.push(
    txt(`_dmarc.${name}.`, `v=DMARC1; p=quarantine; adkim=s; aspf=s; rua=mailto:postmaster@${name}`, "dmarc", "DMARC policy"),
    srv("submissions", ports.smtps.port, "RFC 8314 submission over TLS"),
    srv("submission", ports.submission.port, "RFC 6186 submission (STARTTLS)"),
    srv("imaps", ports.imaps.port, "RFC 6186 IMAP over TLS"),
    srv("imap", ports.imap.port, "RFC 6186 IMAP (STARTTLS)"),
    srv("pop3s", ports.pop3s.port, "RFC 6186 POP3 over TLS"),
    srv("pop3", ports.pop3.port, "RFC 6186 POP3 (STARTTLS)", true),
    { name: `autoconfig.${name}.`, type: "CNAME", value: `${host}.`, kind: "autoconfig", purpose: "Thunderbird autoconfig" },
    { name: `autodiscover.${name}.`, type: "CNAME", value: `${host}.`, kind: "autoconfig", purpose: "Outlook autodiscover" },
  );
  const sts = await getMtaStsPolicy({ domain: name });
  if (sts) {
    records.push(
      txt(`_mta-sts.${name}.`, `v=STSv1; id=${sts.id}`, "mta-sts", `MTA-STS policy id (RFC 8461), mode ${sts.mode}`),
      { name: `mta-sts.${name}.`, type: "CNAME", value: `${host}.`, kind: "mta-sts", purpose: "MTA-STS policy host (needs an HTTPS certificate for this name)" },
      txt(`_smtp._tls.${name}.`, `v=TLSRPTv1; rua=mailto:postmaster@${name}`, "tls-rpt", "SMTP TLS reporting (RFC 8460)", true),
    );
  }
  return records;
}

export function formatZone(records: DnsRecord[]): string {
  return records.map((r) => `; ${r.purpose}\n${r.name}\t3600\tIN\t${r.type}\t${r.value}`).join("\n");
}
