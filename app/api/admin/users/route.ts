import { z } from "zod";
import { addUserAsAdmin, listUsersAsAdmin } from "@/lib/admin/users";
import { json, readJson, withAdmin } from "@/lib/web/admin/route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Users the caller administers (?domain= for one domain), with quota and usage in bytes. */
export const GET = withAdmin(async (req, { actor }) => {
  const domain = new URL(req.url).searchParams.get("domain") || undefined;
  const users = await listUsersAsAdmin({ actor, domain });
  return json({
    users: users.map((u) => ({
      email: u.email,
      domain: u.domain.name,
      role: u.role,
      disabled: u.disabled,
      quotaBytes: u.quotaBytes,
      usedBytes: u.usedBytes,
      adminOf: u.adminOf.map((g) => g.domain.name),
      createdAt: u.createdAt,
    })),
  });
});

const createSchema = z.object({
  email: z.string().min(3).max(320),
  password: z.string().max(1024),
  quotaBytes: z.number().int().positive().optional(),
  role: z.enum(["USER", "DOMAIN_ADMIN", "ADMIN"]).optional(),
});

export const POST = withAdmin(async (req, { actor }) => {
  const body = await readJson(req, createSchema);
  const u = await addUserAsAdmin({ actor, ...body });
  return json(u, { status: 201 });
});
