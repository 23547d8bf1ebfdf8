import type { Config } from "../config.ts";
import type { MailEvent } from "../mail/events.ts";
import { capabilities } from "./capabilities.ts";
import { compileStatus, type CompileOptions } from "./compiler.ts";
import type { ImapLimits } from "./limits.ts";
import type { MailEventHub } from "./notifier.ts";
import type { FramedCommand } from "./parser.ts";
import type { SelectedMailbox } from "./selected-mailbox.ts";

// The IMAP session state machine (RFC 9051 §3): Not Authenticated → Authenticated ⇄ Selected →
// Logout, as a discriminated union. The session also holds what a client turned on (ENABLE,
// CONDSTORE, QRESYNC, IMAP4rev2) and reaches the socket only through `SessionIo`.

export interface ImapUser {
  id: number;
  email: string;
  /** Set when the user signed in with a web session token (OAUTHBEARER / XOAUTH2). */
  webSessionId?: string;
}

export type SessionState =
  | { kind: "not-authenticated" }
  | { kind: "authenticated"; user: ImapUser }
  | { kind: "selected"; user: ImapUser; mailbox: SelectedMailbox }
  | { kind: "logout" };

export type StateKind = SessionState["kind"];

/** What the connection offers the session. */
export interface SessionIo {
  readonly remoteAddress: string;
  readonly secure: boolean;
  readonly canStartTls: boolean;
  /** Writes with backpressure: resolves once the socket can take more. Rejects when closed. */
  write(data: Buffer): Promise<void>;
  /** The next line (with literals) the client sends, outside the command loop (SASL, IDLE DONE). */
  readFrame(): Promise<FramedCommand | null>;
  /** Answers the pending STARTTLS and switches the socket to TLS. */
  startTls(): Promise<void>;
  /** Applies the authenticated literal and command limits to what the client sends next. */
  setAuthenticated(authenticated: boolean): void;
  /** Turns the autologout timer off (IDLE) or back on. */
  setIdle(idle: boolean): void;
  /** Sends `* BYE text` and closes the connection. */
  bye(text: string): Promise<void>;
}

export interface ServerContext {
  config: Config;
  limits: ImapLimits;
  hub: MailEventHub;
  log: (line: string) => void;
}

export class ConnectionClosed extends Error {
  constructor() {
    super("connection closed");
  }
}

export class ImapSession {
  state: SessionState = { kind: "not-authenticated" };
  /** Extensions the client turned on, as named in ENABLE (RFC 5161). */
  readonly enabled = new Set<string>();
  /** Any CONDSTORE-enabling command ran (RFC 7162 §3.1). */
  condstoreUsed = false;
  clientId: Record<string, string | null> | null = null;
  authFailures = 0;
  badCommands = 0;
  /** IDLE in progress: updates go out as soon as they happen. */
  idling = false;
  /** SEARCHRES (RFC 5182): UIDs saved by the last SEARCH … RETURN (SAVE). */
  savedSearch: number[] = [];
  private unwatch?: () => void;
  private idleWaker?: () => void;
  private lastSessionCheck = 0;

  constructor(
    readonly io: SessionIo,
    readonly server: ServerContext,
  ) {}

  get config(): Config {
    return this.server.config;
  }

  get limits(): ImapLimits {
    return this.server.limits;
  }

  get condstore(): boolean {
    return this.condstoreUsed || this.enabled.has("CONDSTORE") || this.enabled.has("QRESYNC");
  }

  get qresync(): boolean {
    return this.enabled.has("QRESYNC");
  }

  get rev2(): boolean {
    return this.enabled.has("IMAP4REV2");
  }

  /** Mailbox names and text in UTF-8 rather than modified UTF-7 (RFC 9051 §5.1, RFC 6855). */
  get utf8(): boolean {
    return this.rev2;
  }

  get compileOptions(): CompileOptions {
    return { utf8: this.utf8 };
  }

  get user(): ImapUser {
    if (this.state.kind !== "authenticated" && this.state.kind !== "selected") throw new Error("not authenticated");
    return this.state.user;
  }

  /** LOGOUT ran, or the session was ended (deleted mailbox, revoked web session). */
  get loggedOut(): boolean {
    return this.state.kind === "logout";
  }

  get selected(): SelectedMailbox {
    if (this.state.kind !== "selected") throw new Error("no mailbox selected");
    return this.state.mailbox;
  }

  get selectedOrNull(): SelectedMailbox | null {
    return this.state.kind === "selected" ? this.state.mailbox : null;
  }

  capabilities(): string[] {
    return capabilities({
      secure: this.io.secure,
      canStartTls: this.io.canStartTls,
      authenticated: this.state.kind === "authenticated" || this.state.kind === "selected",
      appendLimit: this.limits.appendLimit,
    });
  }

  async send(data: Buffer | Buffer[]): Promise<void> {
    if (Array.isArray(data)) {
      for (const d of data) await this.io.write(d);
    } else {
      await this.io.write(data);
    }
  }

  async untaggedOk(text: string, code?: Parameters<typeof compileStatus>[0]["code"]): Promise<void> {
    await this.send(compileStatus({ status: "OK", code, text }, this.compileOptions));
  }

  authenticate(user: ImapUser): void {
    this.state = { kind: "authenticated", user };
    this.io.setAuthenticated(true);
    this.lastSessionCheck = Date.now();
    this.unwatch = this.server.hub.watch(user.id, (e) => this.onMailEvent(e));
  }

  select(mailbox: SelectedMailbox): void {
    this.state = { kind: "selected", user: this.user, mailbox };
    this.savedSearch = [];
  }

  deselect(): void {
    if (this.state.kind === "selected") this.state = { kind: "authenticated", user: this.state.user };
    this.savedSearch = [];
  }

  logout(): void {
    this.state = { kind: "logout" };
    this.dispose();
  }

  dispose(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    this.idleWaker?.();
  }

  private onMailEvent(event: MailEvent): void {
    const mailbox = this.selectedOrNull;
    if (!mailbox) return;
    // Changes already known (this session's own, see advanceIfNext) need no look at the store.
    if (event.mailboxId === mailbox.id && event.kind !== "mailbox" && event.modSeq <= mailbox.knownModSeq) return;
    if (event.mailboxId === mailbox.id || event.mailboxId === null) {
      mailbox.dirty = true;
      this.idleWaker?.();
    }
  }

  /** Resolves at the next mail event of the selected mailbox (or at dispose); for IDLE. */
  waitForMailEvent(): { promise: Promise<void>; cancel: () => void } {
    let cancel = () => undefined as void;
    const promise = new Promise<void>((resolve) => {
      this.idleWaker = () => {
        this.idleWaker = undefined;
        resolve();
      };
      cancel = () => {
        this.idleWaker = undefined;
        resolve();
      };
    });
    return { promise, cancel };
  }

  /**
   * Sends the untagged updates of the selected mailbox that other sessions caused (RFC 9051
   * §7.4.1 and §5.2): EXISTS and FETCH FLAGS at any time, EXPUNGE/VANISHED only when `allowExpunge`.
   * With `force`, re-reads the mailbox even without an event (NOOP, IDLE, own APPEND/COPY into it).
   */
  async flushUpdates(opts: { allowExpunge: boolean; force?: boolean }): Promise<void> {
    const mailbox = this.selectedOrNull;
    if (!mailbox) return;
    if (!mailbox.dirty && !opts.force && !(opts.allowExpunge && mailbox.pendingExpunges.size > 0)) return;
    const out = await mailbox.collectUpdates({
      userId: this.user.id,
      allowExpunge: opts.allowExpunge,
      condstore: this.condstore,
      qresync: this.qresync,
      compileOptions: this.compileOptions,
    });
    if (out === "gone") {
      // The mailbox was deleted by another session: nothing about it is valid any more.
      this.deselect();
      await this.send(compileStatus({ status: "BYE", text: "The selected mailbox was deleted" }));
      this.logout();
      return;
    }
    await this.send(out);
  }

  /**
   * A session that signed in with a web token ends when its web session does (sign-out, device
   * revoked, password changed): checked at most every `webSessionCheckMs` (a minute).
   */
  async webSessionEnded(check: (sessionId: string) => Promise<boolean>): Promise<boolean> {
    if (this.state.kind !== "authenticated" && this.state.kind !== "selected") return false;
    const id = this.state.user.webSessionId;
    if (!id || Date.now() - this.lastSessionCheck < this.limits.webSessionCheckMs) return false;
    this.lastSessionCheck = Date.now();
    try {
      return !(await check(id));
    } catch {
      // The check failing (database away) is not the session ending; try again later.
      return false;
    }
  }
}
