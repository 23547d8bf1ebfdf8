import { z } from "zod";
import { addAliasAsAdmin, listAliasesAsAdmin } from "@/lib/admin/aliases";
import { json, readJson, withAdmin } from "@/lib/web/admin/route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Aliases and catch-alls (`@domain`) of the domains the caller administers (?domain= for one). */
export const GET = withAdmin(async (req, { actor }) => {
  const domain = new URL(req.url).searchParams.get("domain") || undefined;
  return json({ aliases: (await listAliasesAsAdmin({ actor, domain })).map(({ address, targets }) => ({ address, targets })) });
});

const createSchema = z.object({ address: z.string().min(2).max(320), to: z.array(z.string().max(320)).min(1).max(100) });

export const POST = withAdmin(async (req, { actor }) => {
  const body = await readJson(req, createSchema);
  const a = await addAliasAsAdmin({ actor, address: body.address, to: body.to });
  return json({ address: a.address, targets: a.targets }, { status: 201 });
});
