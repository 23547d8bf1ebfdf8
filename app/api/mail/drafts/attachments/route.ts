import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { draftAttachment, saveDraft } from "@/lib/web/mail/compose/drafts";
import { composeSchema, draftAttachmentQuerySchema } from "@/lib/web/mail/compose/schemas";
import { imapIdentity } from "@/lib/web/mail/identity";
import { parseQuery, parseWith } from "@/lib/web/mail/parse";
import { withSession } from "@/lib/web/route";

export const dynamic = "force-dynamic";

/**
 * Attaches a file: multipart/form-data with `draft` (the compose state as JSON) and `file`. The
 * draft is saved with the file added, so the attachment lives in Drafts from then on.
 */
export const POST = withSession(async (req, { session }) => {
  const max = getConfig().maxMessageSize;
  const length = Number(req.headers.get("content-length") ?? 0);
  if (length > max + 1024 * 1024) {
    throw new AppError("INVALID", `That file is too large; a message can be at most ${Math.floor(max / 1048576)} MB.`);
  }
  let form: FormData;
  try {
    form = await req.formData();
  } catch {
    throw new AppError("INVALID", "Send the file as multipart/form-data.");
  }
  const file = form.get("file");
  const draftField = form.get("draft");
  if (!(file instanceof File)) throw new AppError("INVALID", "file: missing");
  if (typeof draftField !== "string") throw new AppError("INVALID", "draft: missing");
  if (file.size > max) throw new AppError("INVALID", `That file is too large; a message can be at most ${Math.floor(max / 1048576)} MB.`);
  let json: unknown;
  try {
    json = JSON.parse(draftField);
  } catch {
    throw new AppError("INVALID", "draft: not JSON");
  }
  const input = parseWith(composeSchema, json);
  const content = Buffer.from(await file.arrayBuffer());
  const draft = await saveDraft(imapIdentity(session), input, [
    { filename: (file.name || "attachment").slice(0, 255), contentType: file.type || "application/octet-stream", content },
  ]);
  return Response.json({ draft }, { status: 201 });
});

/** One attachment of a saved draft, as a download. */
export const GET = withSession(async (req, { session }) => {
  const input = parseQuery(req, draftAttachmentQuerySchema);
  const a = await draftAttachment(imapIdentity(session), input);
  const ascii = a.filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return new Response(new Uint8Array(a.content), {
    headers: {
      "Content-Type": "application/octet-stream",
      "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(a.filename)}`,
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "sandbox",
    },
  });
});
