import { mailboxEventStream } from "@/lib/web/mail/events";
import { imapIdentity } from "@/lib/web/mail/identity";
import { parseQuery } from "@/lib/web/mail/parse";
import { eventsQuerySchema } from "@/lib/web/mail/schemas";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

export const GET = withSession(async (req, { session }) => {
  const { mailbox } = parseQuery(req, eventsQuerySchema);
  return mailboxEventStream(imapIdentity(session), mailbox, req.signal);
});
