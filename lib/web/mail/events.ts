import { validateSession } from "../../auth/sessions.ts";
import { isAppError } from "../../errors.ts";
import type { ImapIdentity } from "../../imap-client/pool.ts";
import { watchMailbox, type MailboxChange, type MailboxWatch } from "../../imap-client/watch.ts";

// The live-update stream (Server-Sent Events) for one open folder, fed by IMAP IDLE on a
// connection of its own. Events:
//   ready      {mailbox}                      IDLE is running
//   change     {mailbox, kind, uid?, seen?, flagged?, count?}
//   failure    {code, message}                the IMAP side failed; the browser reconnects
//   signedout  {}                             the web session ended; the browser goes to /login
// A comment line every 20 s keeps proxies from closing the stream, and re-checks the session.

const HEARTBEAT_MS = 20_000;

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function mailboxEventStream(identity: ImapIdentity, mailbox: string, signal: AbortSignal): Response {
  const encoder = new TextEncoder();
  let watch: MailboxWatch | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let closed = false;

  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          // The reader went away without an abort signal: stop watching.
          close();
        }
      };
      const close = () => {
        if (closed) return;
        closed = true;
        if (heartbeat) clearInterval(heartbeat);
        watch?.stop().catch(() => undefined);
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      signal.addEventListener("abort", close, { once: true });
      // The browser waits this long before reconnecting after the stream ends.
      send("retry: 3000\n\n");
      try {
        watch = await watchMailbox(identity, mailbox, (change: MailboxChange) => send(frame("change", change)));
      } catch (err) {
        if (isAppError(err, "UNAUTHORIZED")) send(frame("signedout", {}));
        else send(frame("failure", { code: isAppError(err) ? err.code : "INTERNAL", message: isAppError(err) ? err.message : "live updates failed" }));
        close();
        return;
      }
      if (closed) {
        await watch.stop();
        return;
      }
      send(frame("ready", { mailbox }));
      heartbeat = setInterval(async () => {
        send(": ping\n\n");
        const active = await validateSession({ sessionId: identity.sessionId }).catch(() => true);
        if (!active) {
          send(frame("signedout", {}));
          close();
        }
      }, HEARTBEAT_MS);
      watch.done.then(
        () => close(),
        (err) => {
          if (isAppError(err, "UNAUTHORIZED")) send(frame("signedout", {}));
          else send(frame("failure", { code: "TEMPORARY", message: "live updates were interrupted" }));
          close();
        },
      );
    },
    cancel() {
      closed = true;
      if (heartbeat) clearInterval(heartbeat);
      watch?.stop().catch(() => undefined);
    },
  });

  return new Response(stream, {
    status: 200,
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      // no-transform: keeps the compression middleware from buffering the stream.
      "Cache-Control": "no-cache, no-store, no-transform",
      "X-Accel-Buffering": "no",
      Connection: "keep-alive",
    },
  });
}
