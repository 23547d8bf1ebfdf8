import { imapIdentity } from "@/lib/web/mail/identity";
import { listPage } from "@/lib/web/mail/list";
import { parseQuery } from "@/lib/web/mail/parse";
import { listConversationsSchema } from "@/lib/web/mail/schemas";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

export const GET = withSession(async (req, { session }) => {
  const input = parseQuery(req, listConversationsSchema);
  const started = performance.now();
  const page = await listPage(imapIdentity(session), input);
  return Response.json(page, { headers: { "Server-Timing": `imap;dur=${(performance.now() - started).toFixed(1)}` } });
});
