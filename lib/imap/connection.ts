import type net from "node:net";
import tls from "node:tls";
import { AppError } from "../errors.ts";
import { resultForAppError, ImapNo, type CommandResult, bad, no } from "./command.ts";
import { compileContinuation, compileStatus } from "./compiler.ts";
import { findCommand } from "./dispatch.ts";
import { readerLimits } from "./limits.ts";
import { CommandReader, ImapLimitError, ImapParseError, parseCommand, type FramedCommand, type ParsedCommand } from "./parser.ts";
import { ConnectionClosed, ImapSession, type ServerContext, type SessionIo } from "./session.ts";
import { isWebSessionActive } from "./auth-adapter.ts";

// One client connection: the socket (plain, upgraded by STARTTLS, or implicit TLS), the command
// reader fed from it, and the command loop. Input is pulled: the socket is paused while a
// command runs, so a client that pipelines or floods cannot make the server buffer more than a
// chunk beyond the reader's limits (and a client's half-close is seen only after the commands
// it sent before). Output waits for 'drain' (backpressure). While a command runs, its small writes are held and sent
// with its tagged status as one write (one TLS record, one syscall); anything that waits for
// the client (continuations, IDLE) sends what is held first.

const HOLD_BYTES = 64 * 1024;

export interface ConnectionOptions {
  secure: boolean;
  canStartTls: boolean;
  secureContext: tls.SecureContext;
}

const STATE_ERRORS: Record<string, string> = {
  "not-authenticated": "Log in first",
  authenticated: "Select a mailbox first",
  selected: "Not allowed with a mailbox selected",
  logout: "Logging out",
};

export class ImapConnection implements SessionIo {
  readonly session: ImapSession;
  readonly remoteAddress: string;
  secure: boolean;
  readonly canStartTls: boolean;
  private socket: net.Socket;
  private reader: CommandReader;
  private waiter?: () => void;
  private closed = false;
  private timer?: NodeJS.Timeout;
  private idle = false;
  private closeWaiters = new Set<() => void>();
  /** Writes held while a command runs (null: write through). */
  private held: Buffer[] | null = null;
  private heldBytes = 0;

  constructor(
    socket: net.Socket,
    private readonly server: ServerContext,
    private readonly options: ConnectionOptions,
  ) {
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress ?? "";
    this.secure = options.secure;
    this.canStartTls = options.canStartTls && !options.secure;
    this.reader = new CommandReader(readerLimits(server.limits));
    this.session = new ImapSession(this, server);
    this.attach(socket);
  }

  // ─── socket ───────────────────────────────────────────────────────────────────────────────────

  private attach(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.on("data", (chunk: Buffer) => {
      this.reader.push(chunk);
      socket.pause();
      this.wake();
    });
    socket.on("end", () => this.markClosed());
    socket.on("close", () => this.markClosed());
    socket.on("error", () => this.markClosed());
    socket.pause();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    this.wake();
    for (const w of this.closeWaiters) w();
    this.closeWaiters.clear();
    this.session.dispose();
    if (!this.socket.destroyed) this.socket.destroy();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async write(data: Buffer): Promise<void> {
    if (this.closed) throw new ConnectionClosed();
    if (this.held) {
      if (this.heldBytes + data.length <= HOLD_BYTES) {
        this.held.push(data);
        this.heldBytes += data.length;
        return;
      }
      this.sendHeld();
      this.held = [];
    }
    await this.writeThrough(data);
  }

  /** Queues what is held on the socket (order kept; the next write waits for 'drain'). */
  private sendHeld(): void {
    const held = this.held;
    this.held = null;
    this.heldBytes = 0;
    if (held && held.length > 0 && !this.closed) this.socket.write(held.length === 1 ? held[0] : Buffer.concat(held));
  }

  /** Stops holding writes and sends what was held, with backpressure. */
  private async release(): Promise<void> {
    const held = this.held;
    this.held = null;
    this.heldBytes = 0;
    if (held && held.length > 0 && !this.closed) await this.writeThrough(held.length === 1 ? held[0] : Buffer.concat(held));
  }

  private async writeThrough(data: Buffer): Promise<void> {
    if (this.closed) throw new ConnectionClosed();
    if (this.socket.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timeout);
        this.socket.off("drain", onDrain);
        this.closeWaiters.delete(onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(new ConnectionClosed());
      const timeout = setTimeout(() => {
        done(new ConnectionClosed());
        this.markClosed();
      }, this.server.limits.writeTimeoutMs);
      this.socket.on("drain", onDrain);
      this.closeWaiters.add(onClose);
    });
  }

  /** The next complete frame, a limit error, or null once the client is gone. */
  private async nextFrame(): Promise<FramedCommand | ImapLimitError | null> {
    for (;;) {
      const event = this.reader.next();
      if (event) {
        if (event.type === "continue") {
          await this.write(compileContinuation("Ready for literal data"));
          continue;
        }
        if (event.type === "error") return event.error;
        return event.frame;
      }
      if (this.closed) return null;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        if (this.socket.isPaused()) this.socket.resume();
      });
    }
  }

  async readFrame(): Promise<FramedCommand | null> {
    // The client answers what it has seen: send the held continuation first.
    await this.release();
    const frame = await this.nextFrame();
    if (frame instanceof ImapLimitError) {
      if (frame.fatal) {
        await this.bye(frame.message);
        return null;
      }
      throw frame;
    }
    return frame;
  }

  setAuthenticated(authenticated: boolean): void {
    this.reader.setAuthenticated(authenticated);
  }

  setIdle(idle: boolean): void {
    this.idle = idle;
    if (idle) this.clearTimer();
  }

  async startTls(): Promise<void> {
    const plain = this.socket;
    plain.pause();
    plain.removeAllListeners("data");
    plain.removeAllListeners("end");
    plain.removeAllListeners("close");
    // Whatever the client pipelined after STARTTLS arrived in clear text: drop it with the old
    // reader, so that it can never run inside the TLS session (STARTTLS command injection).
    this.reader = new CommandReader(readerLimits(this.server.limits));
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: this.options.secureContext });
    await new Promise<void>((resolve, reject) => {
      const fail = (err?: Error) => {
        this.markClosed();
        secure.destroy();
        reject(err ?? new ConnectionClosed());
      };
      secure.once("secure", () => {
        secure.off("error", fail);
        secure.off("close", onClose);
        resolve();
      });
      const onClose = () => fail();
      secure.once("error", fail);
      secure.once("close", onClose);
    });
    this.socket = secure;
    this.secure = true;
    this.attach(secure);
  }

  private armTimer(): void {
    this.clearTimer();
    if (this.idle || this.closed) return;
    const authenticated = this.session.state.kind === "authenticated" || this.session.state.kind === "selected";
    const ms = authenticated ? this.server.limits.idleTimeoutMs : this.server.limits.preAuthTimeoutMs;
    this.timer = setTimeout(() => {
      this.bye("Autologout; idle for too long").catch(() => undefined);
    }, ms);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Sends `* BYE text` and closes. */
  async bye(text: string): Promise<void> {
    if (this.closed) return;
    // Queued without waiting for 'drain': a client that stopped reading must not hold up the close.
    this.sendHeld();
    this.socket.write(compileStatus({ status: "BYE", text }));
    this.closeGracefully(this.socket);
  }

  private closeGracefully(socket: net.Socket): void {
    this.closed = true;
    this.clearTimer();
    this.wake();
    this.session.dispose();
    socket.end();
    setTimeout(() => socket.destroy(), 2000).unref();
    for (const w of this.closeWaiters) w();
    this.closeWaiters.clear();
  }

  /** Server shutdown. */
  async shutdown(): Promise<void> {
    await this.bye("Server shutting down");
  }

  // ─── command loop ─────────────────────────────────────────────────────────────────────────────

  async run(): Promise<void> {
    const { log, config } = this.server;
    try {
      await this.write(
        compileStatus({
          status: "OK",
          code: { code: "CAPABILITY", capabilities: this.session.capabilities() },
          text: `${config.mailHostname} Pigeon IMAP ready`,
        }),
      );
      while (!this.closed && this.session.state.kind !== "logout") {
        this.armTimer();
        const frame = await this.nextFrame();
        this.clearTimer();
        if (frame === null) break;
        if (frame instanceof ImapLimitError) {
          await this.answerLimitError(frame);
          if (frame.fatal) break;
        } else {
          await this.dispatch(frame);
        }
        if (this.session.badCommands >= this.server.limits.maxBadCommands) {
          await this.bye("Too many invalid commands");
          break;
        }
      }
      if (this.session.state.kind === "logout") this.closeGracefully(this.socket);
    } catch (err) {
      if (!(err instanceof ConnectionClosed)) log(`imap: connection from ${this.remoteAddress} failed: ${(err as Error).stack ?? err}`);
    } finally {
      this.markClosed();
    }
  }

  private async answerLimitError(err: ImapLimitError): Promise<void> {
    if (err.fatal) {
      await this.bye(err.message);
      return;
    }
    // A refused APPEND literal is NO [TOOBIG] (RFC 7889 §4); other limits are syntax trouble.
    const status = err.limit === "literal" ? "NO" : "BAD";
    if (status === "BAD") this.session.badCommands++;
    await this.write(
      compileStatus({ tag: err.tag, status, code: err.code ? "TOOBIG" : undefined, text: err.message }, this.session.compileOptions),
    );
  }

  private async dispatch(frame: FramedCommand): Promise<void> {
    this.held = [];
    let after: (() => Promise<void>) | undefined;
    try {
      after = await this.dispatchHeld(frame);
    } finally {
      await this.release();
    }
    await after?.();
  }

  /** Runs one command with its writes held; returns what runs once they are sent (STARTTLS). */
  private async dispatchHeld(frame: FramedCommand): Promise<(() => Promise<void>) | undefined> {
    const session = this.session;
    let cmd: ParsedCommand;
    try {
      cmd = parseCommand(frame, { maxNestingDepth: this.server.limits.maxNestingDepth });
    } catch (err) {
      if (!(err instanceof ImapParseError)) throw err;
      session.badCommands++;
      await this.write(compileStatus({ tag: err.tag, status: "BAD", text: err.message }, session.compileOptions));
      return;
    }
    const spec = findCommand(cmd.command);
    let result: CommandResult;
    if (!spec) {
      result = bad(`Unknown command ${cmd.command.slice(0, 40)}`);
    } else if (!spec.states.includes(session.state.kind)) {
      result = bad(STATE_ERRORS[session.state.kind]);
    } else if (await session.webSessionEnded(isWebSessionActive)) {
      await this.bye("Session ended: signed out of the web");
      return;
    } else {
      result = await this.run1(spec.handle.bind(spec), cmd);
    }
    // Consecutive BADs count: a client that keeps sending garbage is cut off (issue 4, item 3).
    if (result.status === "BAD") session.badCommands++;
    else session.badCommands = 0;
    if (session.state.kind !== "logout" && !this.closed) {
      try {
        await session.flushUpdates({ allowExpunge: !spec?.forbidsExpunge || cmd.uid });
      } catch (err) {
        if (err instanceof ConnectionClosed) throw err;
        this.server.log(`imap: update of ${session.user.email} failed: ${(err as Error).stack ?? err}`);
      }
    }
    if (this.closed) return;
    await this.write(compileStatus({ tag: cmd.tag, status: result.status, code: result.code, text: result.text }, session.compileOptions));
    return result.after;
  }

  private async run1(handle: (s: ImapSession, c: ParsedCommand) => Promise<CommandResult>, cmd: ParsedCommand): Promise<CommandResult> {
    try {
      return await handle(this.session, cmd);
    } catch (err) {
      if (err instanceof ConnectionClosed) throw err;
      if (err instanceof ImapParseError) {
        return bad(err.message, err.code ? "TOOBIG" : undefined);
      }
      if (err instanceof AppError) return resultForAppError(err);
      if (err instanceof ImapNo) return no(err.message, err.code);
      const who = this.session.state.kind === "authenticated" || this.session.state.kind === "selected" ? this.session.user.email : "-";
      this.server.log(`imap: ${cmd.command} of ${who} from ${this.remoteAddress} failed: ${(err as Error).stack ?? err}`);
      return no("Internal error; see the server log", "SERVERBUG");
    }
  }
}
