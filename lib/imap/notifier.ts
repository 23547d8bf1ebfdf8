import { subscribeMailEvents, type MailEvent } from "../mail/events.ts";

// Routes lib/mail events (Postgres NOTIFY, from every process) to the IMAP sessions of the user
// they concern. One subscription per server; sessions register and unregister by user.

export type SessionListener = (event: MailEvent) => void;

export class MailEventHub {
  private byUser = new Map<number, Set<SessionListener>>();
  private stopListening?: () => Promise<void>;

  async start(): Promise<void> {
    this.stopListening = await subscribeMailEvents((e) => this.dispatch(e));
  }

  async stop(): Promise<void> {
    const stop = this.stopListening;
    this.stopListening = undefined;
    this.byUser.clear();
    await stop?.();
  }

  /** Calls `listener` for each event of `userId`; returns the function that stops it. */
  watch(userId: number, listener: SessionListener): () => void {
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(listener);
    return () => {
      const s = this.byUser.get(userId);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) this.byUser.delete(userId);
    };
  }

  private dispatch(event: MailEvent): void {
    const set = this.byUser.get(event.userId);
    if (!set) return;
    for (const l of [...set]) l(event);
  }
}
