import { type DkimKeyInfo, activateDkimKey, listDkimKeys, retireDkimKey, startDkimRotation } from "../accounts/dkim.ts";
import { type DnsRecord, getDnsRecords } from "../accounts/dns-records.ts";
import { addDomain, getMtaStsPolicy, listDomains, type MtaStsMode, removeDomain, setMtaStsPolicy } from "../accounts/domains.ts";
import { type AdminActor, assertDomainInScope, getAdminScope, requirePlatformAdmin } from "./access.ts";
import { checkDnsRecords, type DnsCheckResult } from "./dns-check.ts";

// Domains as the admin UI and /api/admin see them: the same lib/accounts functions the CLI calls,
// behind the role check. Adding, removing, DKIM rotation and MTA-STS are the platform admin's.

export async function listDomainsAsAdmin(input: { actor: AdminActor }) {
  const scope = await getAdminScope(input.actor);
  return listDomains(scope.all ? {} : { ids: scope.domains.map((d) => d.id) });
}

export async function addDomainAsAdmin(input: { actor: AdminActor; name: string }) {
  requirePlatformAdmin(input.actor);
  return addDomain({ name: input.name });
}

export async function removeDomainAsAdmin(input: { actor: AdminActor; name: string }) {
  requirePlatformAdmin(input.actor);
  await removeDomain({ name: input.name });
}

export interface DomainDetail {
  name: string;
  records: DnsRecord[];
  dkimKeys: Omit<DkimKeyInfo, "publicKey">[];
  mtaSts: { mode: MtaStsMode; id: string; text: string } | null;
}

export async function getDomainDetailAsAdmin(input: { actor: AdminActor; name: string }): Promise<DomainDetail> {
  const d = await assertDomainInScope(input.actor, input.name);
  const [records, keys, mtaSts] = await Promise.all([getDnsRecords({ domain: d.name }), listDkimKeys({ domain: d.name }), getMtaStsPolicy({ domain: d.name })]);
  return { name: d.name, records, dkimKeys: keys.map((k) => ({ selector: k.selector, state: k.state, createdAt: k.createdAt, retiredAt: k.retiredAt })), mtaSts };
}

export async function checkDomainDnsAsAdmin(input: { actor: AdminActor; name: string }): Promise<DnsCheckResult[]> {
  const d = await assertDomainInScope(input.actor, input.name);
  return checkDnsRecords(await getDnsRecords({ domain: d.name }));
}

export async function rotateDkimAsAdmin(input: { actor: AdminActor; domain: string; step: "start" | "activate" | "retire"; selector?: string }) {
  requirePlatformAdmin(input.actor);
  const d = await assertDomainInScope(input.actor, input.domain);
  if (input.step === "start") return startDkimRotation({ domain: d.name });
  const selector = input.selector ?? "";
  if (input.step === "activate") await activateDkimKey({ domain: d.name, selector });
  else await retireDkimKey({ domain: d.name, selector });
  return { selector };
}

export async function setMtaStsAsAdmin(input: { actor: AdminActor; domain: string; mode: MtaStsMode | null }) {
  requirePlatformAdmin(input.actor);
  await setMtaStsPolicy({ domain: input.domain, mode: input.mode });
}
