import {
  addUser,
  grantDomainAdmin,
  listUsers,
  removeUser,
  revokeDomainAdmin,
  type Role,
  setUserDisabled,
  setUserPassword,
  setUserQuota,
  setUserRole,
} from "../accounts/users.ts";
import { parseAddress } from "../accounts/addresses.ts";
import { AppError } from "../errors.ts";
import { type AdminActor, assertDomainInScope, assertUserInScope, getAdminScope, requirePlatformAdmin } from "./access.ts";

// Users as the admin UI and /api/admin see them (the CLI calls the lib/accounts functions
// directly). Domain admins manage plain users of their domains; roles are the platform admin's.

export async function listUsersAsAdmin(input: { actor: AdminActor; domain?: string }) {
  const scope = await getAdminScope(input.actor);
  if (input.domain) {
    await assertDomainInScope(input.actor, input.domain);
    return listUsers({ domain: input.domain });
  }
  return listUsers(scope.all ? {} : { domainIds: scope.domains.map((d) => d.id) });
}

export async function addUserAsAdmin(input: { actor: AdminActor; email: string; password: string; quotaBytes?: number; role?: Role }) {
  const { domain } = parseAddress(input.email);
  await assertDomainInScope(input.actor, domain);
  if (input.role && input.role !== "USER") requirePlatformAdmin(input.actor);
  return addUser({ email: input.email, password: input.password, quotaBytes: input.quotaBytes, role: input.role });
}

function refuseSelf(actor: AdminActor, userId: number, what: string): void {
  if (actor.userId === userId) throw new AppError("CONFLICT", `you cannot ${what} your own account here; ask another administrator`);
}

export async function setUserDisabledAsAdmin(input: { actor: AdminActor; email: string; disabled: boolean }) {
  const u = await assertUserInScope(input.actor, input.email);
  if (input.disabled) refuseSelf(input.actor, u.id, "disable");
  await setUserDisabled({ email: u.email, disabled: input.disabled });
}

export async function setUserPasswordAsAdmin(input: { actor: AdminActor; email: string; password: string }) {
  const u = await assertUserInScope(input.actor, input.email);
  await setUserPassword({ email: u.email, password: input.password });
}

export async function setUserQuotaAsAdmin(input: { actor: AdminActor; email: string; quotaBytes: number }) {
  const u = await assertUserInScope(input.actor, input.email);
  await setUserQuota({ email: u.email, quotaBytes: input.quotaBytes });
}

export async function setUserRoleAsAdmin(input: { actor: AdminActor; email: string; role: Role }) {
  requirePlatformAdmin(input.actor);
  const u = await assertUserInScope(input.actor, input.email);
  refuseSelf(input.actor, u.id, "change the role of");
  await setUserRole({ email: u.email, role: input.role });
}

export async function grantDomainAdminAsAdmin(input: { actor: AdminActor; email: string; domain: string }) {
  requirePlatformAdmin(input.actor);
  await grantDomainAdmin({ email: input.email, domain: input.domain });
}

export async function revokeDomainAdminAsAdmin(input: { actor: AdminActor; email: string; domain: string }) {
  requirePlatformAdmin(input.actor);
  await revokeDomainAdmin({ email: input.email, domain: input.domain });
}

export async function removeUserAsAdmin(input: { actor: AdminActor; email: string }) {
  const u = await assertUserInScope(input.actor, input.email);
  refuseSelf(input.actor, u.id, "remove");
  await removeUser({ email: u.email });
}
