import { getProfileIdentity, mobileconfigXml } from "@/lib/admin/client-config";
import { withSession } from "@/lib/web/route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** An Apple configuration profile (iOS, iPadOS, macOS Mail) for the signed-in user's account. */
export const GET = withSession(async (_req, { session }) => {
  const who = await getProfileIdentity({ userId: session.userId });
  const file = `${who.email.replace(/[^a-z0-9@._-]/gi, "_")}.mobileconfig`;
  return new Response(mobileconfigXml(who), {
    headers: { "content-type": "application/x-apple-aspen-config", "content-disposition": `attachment; filename="${file}"` },
  });
});
