"use server";

import { revalidatePath } from "next/cache";
import { removeQueuedAsAdmin, retryQueuedAsAdmin } from "../../../admin/queue.ts";
import { formString } from "../../actions/context.ts";
import { adminActionContext, type AdminFormState, runAdminAction } from "./context.ts";

export async function retryQueuedAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  const id = Number(formString(form, "id", 20));
  const state = await runAdminAction("retry queued message", async () => {
    const n = await retryQueuedAsAdmin({ actor, id });
    return `Retrying ${n} recipient${n === 1 ? "" : "s"} now.`;
  });
  revalidatePath("/admin/queue");
  return state;
}

export async function removeQueuedAction(_prev: AdminFormState, form: FormData): Promise<AdminFormState> {
  const { actor } = await adminActionContext();
  const id = Number(formString(form, "id", 20));
  const state = await runAdminAction("remove queued message", async () => {
    await removeQueuedAsAdmin({ actor, id });
    return `Message ${id} removed from the queue.`;
  });
  revalidatePath("/admin/queue");
  return state;
}
