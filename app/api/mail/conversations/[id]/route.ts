import { openConversation } from "@/lib/web/mail/conversation";
import { imapIdentity } from "@/lib/web/mail/identity";
import { parseQuery, parseWith } from "@/lib/web/mail/parse";
import { conversationParamsSchema, conversationQuerySchema } from "@/lib/web/mail/schemas";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export const GET = withSession<{ id: string }>(async (req, { session, params }) => {
  const { id } = parseWith(conversationParamsSchema, { id: safeDecode(params.id) });
  const { mailbox } = parseQuery(req, conversationQuerySchema);
  const started = performance.now();
  const conversation = await openConversation(imapIdentity(session), { id, mailbox });
  return Response.json(conversation, { headers: { "Server-Timing": `imap;dur=${(performance.now() - started).toFixed(1)}` } });
});
