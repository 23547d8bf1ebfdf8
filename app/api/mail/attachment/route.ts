import { downloadAttachment } from "@/lib/web/mail/attachment";
import { imapIdentity } from "@/lib/web/mail/identity";
import { parseQuery } from "@/lib/web/mail/parse";
import { attachmentQuerySchema } from "@/lib/web/mail/schemas";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

export const GET = withSession(async (req, { session }) => {
  const input = parseQuery(req, attachmentQuerySchema);
  return downloadAttachment(imapIdentity(session), input);
});
