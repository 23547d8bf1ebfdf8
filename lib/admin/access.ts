import { normalizeDomain, parseAddress } from "../accounts/addresses.ts";
import { getManagedDomains, type Role } from "../accounts/users.ts";
import { getDb } from "../db/client.ts";
import { AppError } from "../errors.ts";

// Who may administer what. Every admin page, route handler and server action goes through these
// (through the lib/admin functions that take an `actor`), so the rule lives in one place:
//   ADMIN         everything;
//   DOMAIN_ADMIN  users and aliases of their own domain and of domains granted to them
//                 (domain_admins), and may read those domains' DNS records; among those users,
//                 only plain users can be changed (never another admin, who could then be
//                 taken over through a password reset);
//   USER          nothing: FORBIDDEN.

export interface AdminActor {
  userId: number;
  role: Role;
}

export type AdminScope = { all: true; domains?: undefined } | { all: false; domains: { id: number; name: string }[] };

/** What the actor may administer; FORBIDDEN for anyone but admins and domain admins. */
export async function getAdminScope(actor: AdminActor): Promise<AdminScope> {
  if (actor.role === "ADMIN") return { all: true };
  if (actor.role === "DOMAIN_ADMIN") return { all: false, domains: await getManagedDomains({ userId: actor.userId }) };
  throw new AppError("FORBIDDEN", "this page is for administrators");
}

export function isAdminRole(role: string): boolean {
  return role === "ADMIN" || role === "DOMAIN_ADMIN";
}

export function requirePlatformAdmin(actor: AdminActor): void {
  if (actor.role !== "ADMIN") throw new AppError("FORBIDDEN", "only platform administrators may do this");
}

/** The domain, when the actor administers it; FORBIDDEN otherwise (NOT_FOUND when not hosted, for admins). */
export async function assertDomainInScope(actor: AdminActor, domainName: string): Promise<{ id: number; name: string }> {
  const scope = await getAdminScope(actor);
  const name = normalizeDomain(domainName);
  if (!scope.all) {
    const d = scope.domains.find((x) => x.name === name);
    if (!d) throw new AppError("FORBIDDEN", `you do not administer ${name}`);
    return d;
  }
  const d = await getDb().domain.findUnique({ where: { name }, select: { id: true, name: true } });
  if (!d) throw new AppError("NOT_FOUND", `no domain ${name}`);
  return d;
}

/** The user `email`, when the actor may change it: admins any user; domain admins plain users of their domains. */
export async function assertUserInScope(actor: AdminActor, email: string) {
  const scope = await getAdminScope(actor);
  const address = parseAddress(email).address;
  const u = await getDb().user.findUnique({ where: { email: address }, select: { id: true, email: true, role: true, domainId: true } });
  if (!scope.all) {
    if (!u || !scope.domains.some((d) => d.id === u.domainId)) throw new AppError("FORBIDDEN", `you do not administer the domain of ${address}`);
    if (u.role !== "USER") throw new AppError("FORBIDDEN", `${address} is an administrator; only a platform administrator can change it`);
  }
  if (!u) throw new AppError("NOT_FOUND", `no user ${address}`);
  return u;
}

/** An address (or `@domain` catch-all) whose domain the actor administers. */
export async function assertAddressInScope(actor: AdminActor, address: string): Promise<void> {
  const a = address.trim().toLowerCase();
  const domain = a.slice(a.lastIndexOf("@") + 1);
  await assertDomainInScope(actor, domain);
}
