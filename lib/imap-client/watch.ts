import type { ImapFlow } from "imapflow";
import { openImapClient, type ImapIdentity } from "./pool.ts";
import { toAppError } from "./errors.ts";

// Live updates for one open folder: a connection of its own (never the pooled one, which must stay
// free for requests) that SELECTs the folder and sits in IDLE (RFC 2177). What the server reports
// while idling — EXISTS, EXPUNGE, FETCH FLAGS — is handed on as it arrives.

export type MailboxChange =
  | { kind: "exists"; mailbox: string; count: number }
  | { kind: "expunge"; mailbox: string; uid: number | null }
  | { kind: "flags"; mailbox: string; uid: number | null; seen: boolean; flagged: boolean };

export interface MailboxWatch {
  /** Resolves when the watch ends: closed by `stop()` or lost (the error says why). */
  done: Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts watching; resolves once the folder is selected and IDLE has started. */
export async function watchMailbox(identity: ImapIdentity, mailbox: string, onChange: (change: MailboxChange) => void): Promise<MailboxWatch> {
  const client: ImapFlow = await openImapClient(identity, {
    // IDLE is restarted now and then so that idle-connection reapers on the way never fire.
    maxIdleTime: 4 * 60_000,
  });
  let stopped = false;
  const uidOfSeq = new Map<number, number>();
  try {
    await client.mailboxOpen(mailbox, { readOnly: true });
  } catch (err) {
    client.close();
    throw toAppError(err);
  }
  client.on("exists", (e) => onChange({ kind: "exists", mailbox: e.path, count: e.count }));
  client.on("expunge", (e) => onChange({ kind: "expunge", mailbox: e.path, uid: e.uid ?? (e.seq ? (uidOfSeq.get(e.seq) ?? null) : null) }));
  client.on("flags", (e) => {
    if (e.uid) uidOfSeq.set(e.seq, e.uid);
    onChange({ kind: "flags", mailbox: e.path, uid: e.uid ?? null, seen: e.flags.has("\\Seen"), flagged: e.flags.has("\\Flagged") });
  });

  const done = (async () => {
    try {
      let quickReturns = 0;
      while (!stopped && client.usable) {
        // The folder went away (deleted or renamed by another session): nothing left to watch.
        if (!client.mailbox || client.mailbox.path !== mailbox) {
          throw Object.assign(new Error("The watched folder is no longer selected"), { code: "NoConnection" });
        }
        const started = Date.now();
        const result = await client.idle();
        // An IDLE that ends at once, again and again, would spin: stop instead.
        quickReturns = result === false || Date.now() - started < 50 ? quickReturns + 1 : 0;
        if (quickReturns >= 3) throw Object.assign(new Error("IDLE keeps ending at once"), { code: "NoConnection" });
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (!stopped) throw Object.assign(new Error("IMAP connection closed"), { code: "NoConnection" });
      return null;
    } catch (err) {
      if (stopped) return null;
      throw toAppError(err);
    } finally {
      if (client.usable) client.close();
    }
  })();
  // Callers that stop early never look at `done`; keep its rejection from being unhandled.
  done.catch(() => undefined);

  return {
    done,
    async stop() {
      stopped = true;
      try {
        await client.logout();
      } catch {
        client.close();
      }
    },
  };
}
