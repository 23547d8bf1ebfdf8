import { addImageSender, removeImageSender } from "@/lib/web/mail/image-senders";
import { parseBody, parseQuery } from "@/lib/web/mail/parse";
import { imageSenderSchema } from "@/lib/web/mail/schemas";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

export const POST = withSession(async (req, { session }) => {
  const { address } = await parseBody(req, imageSenderSchema);
  await addImageSender({ userId: session.userId, address });
  return Response.json({ address }, { status: 201 });
});

export const DELETE = withSession(async (req, { session }) => {
  const { address } = parseQuery(req, imageSenderSchema);
  await removeImageSender({ userId: session.userId, address });
  return new Response(null, { status: 204 });
});
