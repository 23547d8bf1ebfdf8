import { z } from "zod";
import {
  grantDomainAdminAsAdmin,
  removeUserAsAdmin,
  revokeDomainAdminAsAdmin,
  setUserDisabledAsAdmin,
  setUserPasswordAsAdmin,
  setUserQuotaAsAdmin,
  setUserRoleAsAdmin,
} from "@/lib/admin/users";
import { readJson, withAdmin } from "@/lib/web/admin/route";
import { decodeParam } from "@/lib/web/admin/session";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const patchSchema = z
  .object({
    disabled: z.boolean().optional(),
    password: z.string().max(1024).optional(),
    quotaBytes: z.number().int().positive().optional(),
    role: z.enum(["USER", "DOMAIN_ADMIN", "ADMIN"]).optional(),
    grantDomain: z.string().max(253).optional(),
    revokeDomain: z.string().max(253).optional(),
  })
  .strict();

/** Changes a user: any of disabled, password, quotaBytes, role, grantDomain, revokeDomain. */
export const PATCH = withAdmin<{ email: string }>(async (req, { actor, params }) => {
  const email = decodeParam(params.email);
  const body = await readJson(req, patchSchema);
  if (body.role !== undefined) await setUserRoleAsAdmin({ actor, email, role: body.role });
  if (body.grantDomain !== undefined) await grantDomainAdminAsAdmin({ actor, email, domain: body.grantDomain });
  if (body.revokeDomain !== undefined) await revokeDomainAdminAsAdmin({ actor, email, domain: body.revokeDomain });
  if (body.quotaBytes !== undefined) await setUserQuotaAsAdmin({ actor, email, quotaBytes: body.quotaBytes });
  if (body.password !== undefined) await setUserPasswordAsAdmin({ actor, email, password: body.password });
  if (body.disabled !== undefined) await setUserDisabledAsAdmin({ actor, email, disabled: body.disabled });
  return new Response(null, { status: 204 });
});

export const DELETE = withAdmin<{ email: string }>(async (_req, { actor, params }) => {
  await removeUserAsAdmin({ actor, email: decodeParam(params.email) });
  return new Response(null, { status: 204 });
});
