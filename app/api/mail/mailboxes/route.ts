import { createMailbox, deleteMailbox, renameMailbox } from "@/lib/imap-client/mailboxes";
import { withImap } from "@/lib/imap-client/pool";
import { imapIdentity } from "@/lib/web/mail/identity";
import { listFolders } from "@/lib/web/mail/list";
import { parseBody, parseQuery } from "@/lib/web/mail/parse";
import { createMailboxSchema, deleteMailboxSchema, renameMailboxSchema } from "@/lib/web/mail/schemas";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

export const GET = withSession(async (_req, { session }) => {
  return Response.json({ mailboxes: await listFolders(imapIdentity(session)) });
});

export const POST = withSession(async (req, { session }) => {
  const input = await parseBody(req, createMailboxSchema);
  const mailbox = await withImap(imapIdentity(session), (c) => createMailbox(c, input));
  return Response.json({ mailbox }, { status: 201 });
});

export const PATCH = withSession(async (req, { session }) => {
  const input = await parseBody(req, renameMailboxSchema);
  const mailbox = await withImap(imapIdentity(session), (c) => renameMailbox(c, input));
  return Response.json({ mailbox });
});

export const DELETE = withSession(async (req, { session }) => {
  const input = parseQuery(req, deleteMailboxSchema);
  await withImap(imapIdentity(session), (c) => deleteMailbox(c, input));
  return new Response(null, { status: 204 });
});
