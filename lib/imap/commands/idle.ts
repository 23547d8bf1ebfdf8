import { isWebSessionActive } from "../auth-adapter.ts";
import { AUTHENTICATED, bad, ok, type CommandSpec } from "../command.ts";
import { compileContinuation, compileStatus } from "../compiler.ts";
import { isIdleDone, parseNoArgs } from "../parser.ts";
import { ConnectionClosed } from "../session.ts";

// IDLE (RFC 2177, RFC 9051 §6.3.13): updates of the selected mailbox go out as soon as a mail
// event announces them (from any process: lib/mail/events.ts), until the client sends DONE.
// No autologout while idling; a keepalive line now and then for NAT boxes.
export const idleCommand: CommandSpec = {
  names: ["IDLE"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    parseNoArgs(cmd);
    await session.send(compileContinuation("idling"));
    session.idling = true;
    session.io.setIdle(true);
    let done = false;
    let frameError: unknown;
    // The client's next line must be DONE; it is read while updates are being sent.
    const reading = session.io.readFrame().then(
      (frame) => {
        done = true;
        return frame;
      },
      (err) => {
        done = true;
        frameError = err;
        return null;
      },
    );
    let lastWrite = Date.now();
    try {
      await session.flushUpdates({ allowExpunge: true, force: true });
      while (!done && session.state.kind !== "logout") {
        if (session.selectedOrNull?.dirty) {
          await session.flushUpdates({ allowExpunge: true });
          lastWrite = Date.now();
          continue;
        }
        const wait = session.waitForMailEvent();
        let timer: NodeJS.Timeout | undefined;
        const keepalive = new Promise<"keepalive">((resolve) => {
          timer = setTimeout(() => resolve("keepalive"), Math.max(1000, session.limits.idleKeepaliveMs - (Date.now() - lastWrite)));
        });
        const woke = await Promise.race([reading.then(() => "done" as const), wait.promise.then(() => "event" as const), keepalive]);
        clearTimeout(timer);
        wait.cancel();
        if (woke === "keepalive") {
          // A token login ends with its web session, idling or not.
          if (await session.webSessionEnded(isWebSessionActive)) {
            await session.io.bye("Session ended: signed out of the web");
            return ok("IDLE terminated");
          }
          // Also a look at the store, in case an event was lost (the LISTEN connection dropped).
          await session.flushUpdates({ allowExpunge: true, force: true });
          if (session.loggedOut) break;
          await session.send(compileStatus({ status: "OK", text: "Still here" }));
          lastWrite = Date.now();
        }
      }
    } finally {
      session.idling = false;
      session.io.setIdle(false);
    }
    if (session.state.kind === "logout") return ok("IDLE terminated");
    const frame = await reading;
    if (frameError) throw frameError;
    if (!frame) throw new ConnectionClosed();
    if (!isIdleDone(frame)) return bad("Expected DONE");
    return ok("IDLE terminated");
  },
};
