import { scheduledParamsSchema } from "@/lib/web/mail/compose/schemas";
import { cancelSend } from "@/lib/web/mail/compose/send";
import { imapIdentity } from "@/lib/web/mail/identity";
import { parseWith } from "@/lib/web/mail/parse";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

/** Undo / cancel: the message leaves the queue and goes back to Drafts (returned). */
export const DELETE = withSession<{ id: string }>(async (_req, { session, params }) => {
  const { id } = parseWith(scheduledParamsSchema, params);
  return Response.json({ draft: await cancelSend(imapIdentity(session), { id }) });
});
