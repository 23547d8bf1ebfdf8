import { applyMessageAction } from "@/lib/imap-client/actions";
import { withImap } from "@/lib/imap-client/pool";
import { imapIdentity } from "@/lib/web/mail/identity";
import { parseBody } from "@/lib/web/mail/parse";
import { actionSchema } from "@/lib/web/mail/schemas";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

export const POST = withSession(async (req, { session }) => {
  const input = await parseBody(req, actionSchema);
  const result = await withImap(imapIdentity(session), (c) => applyMessageAction(c, input));
  return Response.json(result);
});
