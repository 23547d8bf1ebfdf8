import { openMessage } from "@/lib/web/mail/conversation";
import { imapIdentity } from "@/lib/web/mail/identity";
import { parseQuery } from "@/lib/web/mail/parse";
import { messageQuerySchema } from "@/lib/web/mail/schemas";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

export const GET = withSession(async (req, { session }) => {
  const input = parseQuery(req, messageQuerySchema);
  const message = await openMessage(imapIdentity(session), { mailbox: input.mailbox, uid: input.uid, showImages: input.images === "1" });
  return Response.json({ message });
});
