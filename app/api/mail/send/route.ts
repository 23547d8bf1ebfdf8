import { getConfig } from "@/lib/config";
import { senderChoices } from "@/lib/web/mail/compose/from";
import { sendSchema } from "@/lib/web/mail/compose/schemas";
import { sendMessage } from "@/lib/web/mail/compose/send";
import { getMailSettings } from "@/lib/web/mail/compose/settings";
import { imapIdentity } from "@/lib/web/mail/identity";
import { parseBody } from "@/lib/web/mail/parse";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

/** What the compose window needs: the addresses the user may send as, signature, Undo seconds, size limit. */
export const GET = withSession(async (_req, { session }) => {
  const [from, settings] = await Promise.all([senderChoices(session), getMailSettings({ userId: session.userId })]);
  return Response.json({
    from,
    signature: settings.signature,
    undoSeconds: settings.undoSeconds,
    timeZone: settings.timeZone,
    maxMessageSize: getConfig().maxMessageSize,
  });
});

export const POST = withSession(async (req, { session }) => {
  const input = await parseBody(req, sendSchema);
  const result = await sendMessage(imapIdentity(session), input);
  return Response.json(result, { status: 201 });
});
