import { startReply } from "@/lib/web/mail/compose/reply";
import { replySchema } from "@/lib/web/mail/compose/schemas";
import { imapIdentity } from "@/lib/web/mail/identity";
import { parseBody } from "@/lib/web/mail/parse";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

/** The draft a reply, reply all or forward starts from ({ mailbox, uid, mode }). */
export const POST = withSession(async (req, { session }) => {
  const input = await parseBody(req, replySchema);
  return Response.json({ draft: await startReply(imapIdentity(session), input) });
});
