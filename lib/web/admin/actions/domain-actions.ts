"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { addDomainAsAdmin, checkDomainDnsAsAdmin, removeDomainAsAdmin, rotateDkimAsAdmin, setMtaStsAsAdmin } from "../../../admin/domains.ts";
import type { DnsCheckResult } from "../../../admin/dns-check.ts";
import { AppError } from "../../../errors.ts";
import { actionError, formString } from "../../actions/context.ts";
import { adminActionContext, type AdminFormState, runAdminAction } from "./context.ts";

export async function addDomainAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  let name = "";
  const state = await runAdminAction("add domain", async () => {
    name = (await addDomainAsAdmin({ actor, name: formString(form, "name", 253) })).name;
  });
  if (state.error) return state;
  revalidatePath("/admin", "layout");
  redirect(`/admin/domains/${encodeURIComponent(name)}`);
}

export async function removeDomainAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  const state = await runAdminAction("remove domain", () => removeDomainAsAdmin({ actor, name: formString(form, "name", 253) }));
  if (state.error) return state;
  revalidatePath("/admin", "layout");
  redirect("/admin/domains");
}

export interface DnsCheckState {
  error?: string;
  results?: DnsCheckResult[];
  checkedAt?: string;
}

export async function checkDnsAction(_prev: DnsCheckState, form: FormData): Promise<DnsCheckState> {
  const { actor } = await adminActionContext();
  try {
    const results = await checkDomainDnsAsAdmin({ actor, name: formString(form, "name", 253) });
    return { results, checkedAt: new Date().toISOString() };
  } catch (err) {
    return { error: actionError(err, "check DNS") };
  }
}

export async function dkimAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  const domain = formString(form, "domain", 253);
  const step = formString(form, "step", 16);
  const state = await runAdminAction("DKIM rotation", async () => {
    if (step !== "start" && step !== "activate" && step !== "retire") throw new AppError("INVALID", `unknown DKIM step ${step}`);
    const { selector } = await rotateDkimAsAdmin({ actor, domain, step, selector: formString(form, "selector", 64) || undefined });
    return step === "start"
      ? `New key ${selector}: publish its record, check DNS, then activate it.`
      : step === "activate"
        ? `Key ${selector} signs from now on. Retire the previous key once mail signed with it has arrived (a few days).`
        : `Key ${selector} retired: remove its record from DNS.`;
  });
  revalidatePath(`/admin/domains/${encodeURIComponent(domain)}`);
  return state;
}

export async function mtaStsAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  const domain = formString(form, "domain", 253);
  const mode = formString(form, "mode", 16);
  const state = await runAdminAction("MTA-STS", async () => {
    await setMtaStsAsAdmin({ actor, domain, mode: mode === "testing" || mode === "enforce" ? mode : null });
    return mode === "testing" || mode === "enforce" ? `MTA-STS policy (${mode}) on: publish its records.` : "MTA-STS policy off: remove its records.";
  });
  revalidatePath(`/admin/domains/${encodeURIComponent(domain)}`);
  return state;
}
