import { suggestContacts } from "@/lib/web/mail/compose/contacts";
import { contactsQuerySchema } from "@/lib/web/mail/compose/schemas";
import { imapIdentity } from "@/lib/web/mail/identity";
import { parseQuery } from "@/lib/web/mail/parse";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

/** Address suggestions for the To / Cc / Bcc fields (?q=). */
export const GET = withSession(async (req, { session }) => {
  const input = parseQuery(req, contactsQuerySchema);
  return Response.json({ contacts: await suggestContacts(imapIdentity(session), input) });
});
