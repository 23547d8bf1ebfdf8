import { discardDraft, openDraft, saveDraft } from "@/lib/web/mail/compose/drafts";
import { composeSchema, discardDraftSchema, draftQuerySchema } from "@/lib/web/mail/compose/schemas";
import { imapIdentity } from "@/lib/web/mail/identity";
import { parseBody, parseQuery } from "@/lib/web/mail/parse";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

/** A saved draft, by ?uid= (in Drafts) or ?messageId=. */
export const GET = withSession(async (req, { session }) => {
  const input = parseQuery(req, draftQuerySchema);
  return Response.json({ draft: await openDraft(imapIdentity(session), input) });
});

/** Saves a new version of the draft (replacing the previous one). */
export const PUT = withSession(async (req, { session }) => {
  const input = await parseBody(req, composeSchema);
  return Response.json({ draft: await saveDraft(imapIdentity(session), input) });
});

export const DELETE = withSession(async (req, { session }) => {
  const input = parseQuery(req, discardDraftSchema);
  await discardDraft(imapIdentity(session), input);
  return new Response(null, { status: 204 });
});
