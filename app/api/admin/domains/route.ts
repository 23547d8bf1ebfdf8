import { z } from "zod";
import { addDomainAsAdmin, listDomainsAsAdmin } from "@/lib/admin/domains";
import { json, readJson, withAdmin } from "@/lib/web/admin/route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The domains the caller administers. */
export const GET = withAdmin(async (_req, { actor }) => {
  const domains = await listDomainsAsAdmin({ actor });
  return json({
    domains: domains.map((d) => ({ name: d.name, createdAt: d.createdAt, users: d._count.users, aliases: d._count.aliases, mtaSts: d.mtaStsMode })),
  });
});

const addSchema = z.object({ name: z.string().min(1).max(253) });

/** Adds a domain (platform admins), with its DKIM key. */
export const POST = withAdmin(async (req, { actor }) => {
  const { name } = await readJson(req, addSchema);
  const d = await addDomainAsAdmin({ actor, name });
  return json({ name: d.name, dkimSelector: d.dkimSelector }, { status: 201 });
});
