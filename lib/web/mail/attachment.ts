import { Readable } from "node:stream";
import { AppError } from "../../errors.ts";
import { toAppError } from "../../imap-client/errors.ts";
import { openImapClient, type ImapIdentity } from "../../imap-client/pool.ts";
import { layoutMessage } from "../../imap-client/structure.ts";

// An attachment, streamed from IMAP to the browser as a download. It gets a connection of its own
// (a large file must not hold up the session's other requests), closed when the stream ends.
// Whatever the part claims to be, it goes out as application/octet-stream with
// Content-Disposition: attachment and nosniff: never rendered by the browser, so an HTML or SVG
// attachment cannot run in the app's origin.

function contentDisposition(filename: string): string {
  const clean = filename.replace(/[\x00-\x1f\x7f"\\/]/g, "_").slice(0, 200) || "attachment";
  const ascii = clean.replace(/[^\x20-\x7e]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(clean)}`;
}

export async function downloadAttachment(identity: ImapIdentity, input: { mailbox: string; uid: number; part: string }): Promise<Response> {
  const client = await openImapClient(identity);
  let handedOver = false;
  try {
    await client.mailboxOpen(input.mailbox, { readOnly: true });
    const msg = await client.fetchOne(String(input.uid), { uid: true, bodyStructure: true }, { uid: true });
    if (!msg) throw new AppError("NOT_FOUND", "That message is not here any more.");
    const layout = layoutMessage(msg.bodyStructure);
    const part = [...layout.attachments, ...layout.related].find((a) => a.section === input.part);
    if (!part) throw new AppError("NOT_FOUND", "That attachment is not in the message.");
    const dl = await client.download(String(input.uid), input.part, { uid: true, decodeText: false });
    if (!dl.content) throw new AppError("NOT_FOUND", "That attachment is not in the message.");
    const content = dl.content;
    const done = () => {
      client.logout().catch(() => client.close());
    };
    content.once("end", done);
    content.once("error", done);
    content.once("close", done);
    handedOver = true;
    return new Response(Readable.toWeb(content) as ReadableStream<Uint8Array>, {
      status: 200,
      headers: {
        "Content-Type": "application/octet-stream",
        "Content-Disposition": contentDisposition(part.filename),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
      },
    });
  } catch (err) {
    throw toAppError(err);
  } finally {
    if (!handedOver) client.logout().catch(() => client.close());
  }
}
