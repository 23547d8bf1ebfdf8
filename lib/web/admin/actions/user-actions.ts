"use server";

import { revalidatePath } from "next/cache";
import { parseByteSize } from "../../../admin/bytes.ts";
import {
  addUserAsAdmin,
  grantDomainAdminAsAdmin,
  removeUserAsAdmin,
  revokeDomainAdminAsAdmin,
  setUserDisabledAsAdmin,
  setUserPasswordAsAdmin,
  setUserQuotaAsAdmin,
  setUserRoleAsAdmin,
} from "../../../admin/users.ts";
import type { Role } from "../../../accounts/users.ts";
import { AppError } from "../../../errors.ts";
import { formString } from "../../actions/context.ts";
import { adminActionContext, type AdminFormState, runAdminAction } from "./context.ts";

const ROLES: Record<string, Role> = { USER: "USER", DOMAIN_ADMIN: "DOMAIN_ADMIN", ADMIN: "ADMIN" };

function done(state: AdminFormState): AdminFormState {
  revalidatePath("/admin", "layout");
  return state;
}

export async function createUserAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  return done(
    await runAdminAction("create user", async () => {
      const quota = formString(form, "quota", 32).trim();
      const role = ROLES[formString(form, "role", 16) || "USER"];
      if (!role) throw new AppError("INVALID", "unknown role");
      const u = await addUserAsAdmin({
        actor,
        email: formString(form, "email", 320),
        password: formString(form, "password"),
        quotaBytes: quota ? parseByteSize(quota) : undefined,
        role,
      });
      return `Created ${u.email}.`;
    }),
  );
}

export async function setUserDisabledAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  const email = formString(form, "email", 320);
  const disabled = formString(form, "disabled", 8) === "true";
  return done(
    await runAdminAction("disable user", async () => {
      await setUserDisabledAsAdmin({ actor, email, disabled });
      return disabled ? `${email} is disabled and signed out everywhere.` : `${email} is enabled.`;
    }),
  );
}

export async function resetPasswordAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  const email = formString(form, "email", 320);
  return done(
    await runAdminAction("reset password", async () => {
      await setUserPasswordAsAdmin({ actor, email, password: formString(form, "password") });
      return `New password set for ${email}; their sessions were ended.`;
    }),
  );
}

export async function setQuotaAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  const email = formString(form, "email", 320);
  return done(
    await runAdminAction("set quota", async () => {
      await setUserQuotaAsAdmin({ actor, email, quotaBytes: parseByteSize(formString(form, "quota", 32)) });
      return `Quota of ${email} changed.`;
    }),
  );
}

export async function setRoleAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  const email = formString(form, "email", 320);
  return done(
    await runAdminAction("set role", async () => {
      const role = ROLES[formString(form, "role", 16)];
      if (!role) throw new AppError("INVALID", "unknown role");
      await setUserRoleAsAdmin({ actor, email, role });
      return `${email} is now ${role === "DOMAIN_ADMIN" ? "a domain admin" : role === "ADMIN" ? "a platform admin" : "a user"}.`;
    }),
  );
}

export async function grantDomainAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  const email = formString(form, "email", 320);
  const domain = formString(form, "domain", 253);
  const revoke = formString(form, "revoke", 8) === "true";
  return done(
    await runAdminAction("grant domain", async () => {
      if (revoke) await revokeDomainAdminAsAdmin({ actor, email, domain });
      else await grantDomainAdminAsAdmin({ actor, email, domain });
      return revoke ? `${email} no longer administers ${domain}.` : `${email} administers ${domain}.`;
    }),
  );
}

export async function removeUserAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  const email = formString(form, "email", 320);
  return done(
    await runAdminAction("remove user", async () => {
      await removeUserAsAdmin({ actor, email });
      return `Removed ${email} and their mail.`;
    }),
  );
}
