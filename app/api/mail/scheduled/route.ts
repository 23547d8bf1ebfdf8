import { fileDueSentCopies, listScheduled } from "@/lib/web/mail/compose/send";
import { imapIdentity } from "@/lib/web/mail/identity";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

/** Messages waiting to be sent (Send later, and sends within their Undo seconds), from any device. */
export const GET = withSession(async (_req, { session }) => {
  const identity = imapIdentity(session);
  // Scheduled messages that went since the last look get their copy in Sent now.
  await fileDueSentCopies(identity).catch((err) => console.error("filing scheduled Sent copies failed:", err));
  return Response.json({ scheduled: await listScheduled(identity) });
});
