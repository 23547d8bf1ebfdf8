import { addAlias, listAliases, parseAliasAddress, removeAlias } from "../accounts/aliases.ts";
import { parseAddress } from "../accounts/addresses.ts";
import { type AdminActor, assertDomainInScope, getAdminScope } from "./access.ts";

// Aliases (one address to several users) and catch-alls (`@domain`) as the admin UI sees them.
// A domain admin's aliases live in their domains and deliver to users of their domains.

export async function listAliasesAsAdmin(input: { actor: AdminActor; domain?: string }) {
  const scope = await getAdminScope(input.actor);
  if (input.domain) {
    await assertDomainInScope(input.actor, input.domain);
    return listAliases({ domain: input.domain });
  }
  return listAliases(scope.all ? {} : { domainIds: scope.domains.map((d) => d.id) });
}

export async function addAliasAsAdmin(input: { actor: AdminActor; address: string; to: string[] }) {
  const { domain } = parseAliasAddress(input.address);
  await assertDomainInScope(input.actor, domain);
  const scope = await getAdminScope(input.actor);
  if (!scope.all) {
    for (const t of input.to) await assertDomainInScope(input.actor, parseAddress(t).domain);
  }
  return addAlias({ address: input.address, to: input.to });
}

export async function removeAliasAsAdmin(input: { actor: AdminActor; address: string }) {
  const { domain, address } = parseAliasAddress(input.address);
  await assertDomainInScope(input.actor, domain);
  await removeAlias({ address });
}
