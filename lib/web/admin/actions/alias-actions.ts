"use server";

import { revalidatePath } from "next/cache";
import { addAliasAsAdmin, removeAliasAsAdmin } from "../../../admin/aliases.ts";
import { formString } from "../../actions/context.ts";
import { adminActionContext, type AdminFormState, runAdminAction } from "./context.ts";

export async function addAliasAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  const state = await runAdminAction("add alias", async () => {
    const to = formString(form, "to", 4000).split(/[\s,;]+/).filter(Boolean);
    const a = await addAliasAsAdmin({ actor, address: formString(form, "address", 320), to });
    return a.address.startsWith("@") ? `Catch-all for ${a.address.slice(1)} delivers to ${a.targets.join(", ")}.` : `${a.address} delivers to ${a.targets.join(", ")}.`;
  });
  revalidatePath("/admin", "layout");
  return state;
}

export async function removeAliasAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  const address = formString(form, "address", 320);
  const state = await runAdminAction("remove alias", async () => {
    await removeAliasAsAdmin({ actor, address });
    return `Removed ${address}.`;
  });
  revalidatePath("/admin", "layout");
  return state;
}
