import { getConfig } from "../config.ts";
import { dkimRecordValue, getActiveDkimKeys } from "./dkim.ts";
import { getDomainOrThrow } from "./domains.ts";

// Every DNS record a domain needs to receive, send and be found by clients, in zone-file syntax.

export interface DnsRecord {
  name: string;
  type: "MX" | "TXT" | "SRV" | "CNAME";
  value: string;
  purpose: string;
}

function quoteTxt(value: string): string {
  // TXT strings are at most 255 bytes each (RFC 1035 §3.3.14); long values are split.
  const chunks = value.match(/.{1,250}/g) ?? [""];
  return chunks.map((c) => `"${c}"`).join(" ");
}

export async function getDnsRecords(input: { domain: string }): Promise<DnsRecord[]> {
  const domain = await getDomainOrThrow({ name: input.domain });
  const host = getConfig().mailHostname.replace(/\.$/, "");
  const name = domain.name;
  const records: DnsRecord[] = [
    { name: `${name}.`, type: "MX", value: `10 ${host}.`, purpose: "inbound mail goes to Pigeon" },
    { name: `${name}.`, type: "TXT", value: quoteTxt("v=spf1 mx -all"), purpose: "SPF: only the domain's MX hosts send its mail" },
  ];
  for (const key of await getActiveDkimKeys({ domain: name })) {
    records.push({
      name: `${key.selector}._domainkey.${name}.`,
      type: "TXT",
      value: quoteTxt(dkimRecordValue(key.publicKey)),
      purpose: `DKIM public key (selector ${key.selector})`,
    });
  }
  records.push(
    {
      name: `_dmarc.${name}.`,
      type: "TXT",
      value: quoteTxt(`v=DMARC1; p=quarantine; adkim=s; aspf=s; rua=mailto:postmaster@${name}`),
      purpose: "DMARC policy",
    },
    { name: `_submissions._tcp.${name}.`, type: "SRV", value: `0 1 465 ${host}.`, purpose: "RFC 8314 submission over TLS" },
    { name: `_submission._tcp.${name}.`, type: "SRV", value: `0 1 587 ${host}.`, purpose: "RFC 6186 submission (STARTTLS)" },
    { name: `_imaps._tcp.${name}.`, type: "SRV", value: `0 1 993 ${host}.`, purpose: "RFC 6186 IMAP over TLS" },
    { name: `_imap._tcp.${name}.`, type: "SRV", value: `0 1 143 ${host}.`, purpose: "RFC 6186 IMAP (STARTTLS)" },
    { name: `_pop3s._tcp.${name}.`, type: "SRV", value: `0 1 995 ${host}.`, purpose: "RFC 6186 POP3 over TLS" },
    { name: `autoconfig.${name}.`, type: "CNAME", value: `${host}.`, purpose: "Thunderbird autoconfig" },
    { name: `autodiscover.${name}.`, type: "CNAME", value: `${host}.`, purpose: "Outlook autodiscover" },
  );
  return records;
}

export function formatZone(records: DnsRecord[]): string {
  return records.map((r) => `; ${r.purpose}\n${r.name}\t3600\tIN\t${r.type}\t${r.value}`).join("\n");
}
