import { readBlobs } from "../mail/blobs.ts";
import { expungeMessages } from "../mail/expunge.ts";
import { storeFlags } from "../mail/flags.ts";
import { loadMaildrop, lockMaildrop, type Maildrop, type MaildropLock } from "./maildrop.ts";

// One POP3 conversation (RFC 1939), with CAPA (RFC 2449), AUTH PLAIN (RFC 5034) and STLS
// (RFC 2595). States: AUTHORIZATION → TRANSACTION → UPDATE (at QUIT).

export type LoginResult = { ok: true; userId: number; email: string } | { ok: false; reason: "invalid" | "rate-limited" | "disabled" };

export interface Pop3Transport {
  write(data: string | Buffer): void;
  /** Writes and waits until the socket drained (large RETR). */
  writeAsync(data: Buffer): Promise<void>;
  close(): void;
  startTls(): Promise<void>;
  readonly secure: boolean;
  readonly remoteAddress: string;
}

export interface Pop3SessionOptions {
  hostname: string;
  login(input: { email: string; password: string; ip: string }): Promise<LoginResult>;
  maxBadCommands?: number;
  log?: (line: string) => void;
}

type State =
  | { name: "authorization"; user?: string; saslPending: boolean }
  | { name: "transaction"; userId: number; email: string; drop: Maildrop; deleted: Set<number>; retrieved: Set<number>; lock: MaildropLock }
  | { name: "done" };

const PREFETCH = 16;
const PREFETCH_BYTES = 4 * 1024 * 1024;
const BYTE_CR = 0x0d;
const BYTE_LF = 0x0a;
const BYTE_DOT = 0x2e;

/** Dot-stuffs a message for the wire (RFC 1939 §3) and ends it with CRLF . CRLF. */
export function dotStuff(data: Buffer, maxBodyLines?: number): Buffer {
  const out: Buffer[] = [];
  let lineStart = 0;
  let inBody = false;
  let bodyLines = 0;
  for (let i = 0; i <= data.length; i++) {
    if (i < data.length && data[i] !== BYTE_LF) continue;
    const end = i < data.length ? i + 1 : i;
    if (end === lineStart) break;
    const line = data.subarray(lineStart, end);
    if (inBody && maxBodyLines !== undefined && bodyLines >= maxBodyLines) break;
    if (line[0] === BYTE_DOT) out.push(Buffer.from("."));
    out.push(line);
    if (inBody) bodyLines++;
    const isBlank = line.length === 2 ? line[0] === BYTE_CR : line.length === 1;
    if (!inBody && isBlank) inBody = true;
    lineStart = end;
  }
  const last = out.length ? out[out.length - 1] : Buffer.alloc(0);
  if (last.length && last[last.length - 1] !== BYTE_LF) out.push(Buffer.from("\r\n"));
  out.push(Buffer.from(".\r\n"));
  return Buffer.concat(out);
}

export class Pop3Session {
  private state: State = { name: "authorization", saslPending: false };
  private badCommands = 0;
  private busy: Promise<void> = Promise.resolve();
  private prefetched = new Map<number, Buffer>();

  constructor(
    private readonly transport: Pop3Transport,
    private readonly opts: Pop3SessionOptions,
  ) {}

  greet(): void {
    this.transport.write(`+OK ${this.opts.hostname} POP3 ready\r\n`);
  }

  /** Lines are handled strictly in order (PIPELINING, RFC 2449 §6.6). */
  handleLine(line: string): Promise<void> {
    this.busy = this.busy.then(() => this.dispatch(line)).catch((err) => {
      this.opts.log?.(`pop3 error: ${err instanceof Error ? err.message : err}`);
      this.reply("-ERR [SYS/TEMP] internal error, try again later");
    });
    return this.busy;
  }

  lineTooLong(): void {
    this.reply("-ERR line too long");
    this.bad();
  }

  async closed(): Promise<void> {
    // A dropped connection never enters UPDATE: deletions are forgotten, the lock is released.
    await this.busy.catch(() => undefined);
    if (this.state.name === "transaction") await this.state.lock.release();
    this.state = { name: "done" };
  }

  private reply(line: string) {
    this.transport.write(line + "\r\n");
  }

  private bad() {
    this.badCommands++;
    if (this.badCommands >= (this.opts.maxBadCommands ?? 10)) {
      this.reply("-ERR too many errors, closing");
      this.transport.close();
      if (this.state.name === "transaction") void this.state.lock.release();
      this.state = { name: "done" };
    }
  }

  private capabilities(): string[] {
    const caps = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER", "LOGIN-DELAY 0"];
    if (this.state.name === "authorization") {
      if (this.transport.secure) caps.push("USER", "SASL PLAIN");
      else caps.push("STLS");
    }
    caps.push("IMPLEMENTATION Pigeon");
    return caps;
  }

  private async dispatch(line: string): Promise<void> {
    const state = this.state;
    if (state.name === "done") return;
    if (state.name === "authorization" && state.saslPending) {
      state.saslPending = false;
      if (line === "*") return this.reply("-ERR authentication cancelled");
      return this.authPlain(line);
    }
    const space = line.indexOf(" ");
    const cmd = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const arg = space < 0 ? "" : line.slice(space + 1);
    if (cmd === "CAPA") {
      this.reply("+OK capability list follows");
      for (const c of this.capabilities()) this.reply(c);
      return this.reply(".");
    }
    if (cmd === "QUIT") return this.quit();
    if (cmd === "NOOP" && state.name === "transaction") return this.reply("+OK");
    if (state.name === "authorization") return this.authorization(state, cmd, arg);
    return this.transaction(state, cmd, arg);
  }

  private async authorization(state: Extract<State, { name: "authorization" }>, cmd: string, arg: string) {
    switch (cmd) {
      case "STLS":
        if (this.transport.secure) {
          this.reply("-ERR already using TLS");
          return this.bad();
        }
        this.reply("+OK begin TLS negotiation");
        await this.transport.startTls();
        // RFC 2595 §4: forget everything learned before TLS.
        this.state = { name: "authorization", saslPending: false };
        return;
      case "USER":
      case "PASS":
      case "AUTH":
      case "APOP":
        if (!this.transport.secure) {
          this.reply("-ERR [AUTH] TLS required: use STLS first");
          return this.bad();
        }
        break;
      default:
        this.reply("-ERR unknown command or not allowed before login");
        return this.bad();
    }
    if (cmd === "USER") {
      if (!arg || arg.length > 254) {
        this.reply("-ERR missing user name");
        return this.bad();
      }
      state.user = arg.trim();
      return this.reply("+OK send PASS");
    }
    if (cmd === "PASS") {
      if (!state.user) {
        this.reply("-ERR USER first");
        return this.bad();
      }
      const user = state.user;
      state.user = undefined;
      return this.login(user, arg);
    }
    if (cmd === "AUTH") {
      const [mech, initial] = arg.split(" ");
      if (!mech) {
        this.reply("+OK");
        this.reply("PLAIN");
        return this.reply(".");
      }
      if (mech.toUpperCase() !== "PLAIN") {
        this.reply("-ERR unsupported mechanism");
        return this.bad();
      }
      if (initial === undefined) {
        state.saslPending = true;
        return this.reply("+ ");
      }
      return this.authPlain(initial === "=" ? "" : initial);
    }
    this.reply("-ERR APOP is not supported");
    return this.bad();
  }

  private async authPlain(b64: string) {
    const decoded = Buffer.from(b64, "base64").toString("utf8");
    const parts = decoded.split("\0");
    if (parts.length !== 3 || !parts[1]) {
      this.reply("-ERR [AUTH] malformed PLAIN response");
      return this.bad();
    }
    const [authzid, authcid, password] = parts;
    if (authzid && authzid.toLowerCase() !== authcid.toLowerCase()) {
      this.reply("-ERR [AUTH] authorization identity must match");
      return this.bad();
    }
    return this.login(authcid, password);
  }

  private async login(email: string, password: string) {
    const result = await this.opts.login({ email, password, ip: this.transport.remoteAddress });
    if (!result.ok) {
      this.reply(
        result.reason === "rate-limited"
          ? "-ERR [LOGIN-DELAY] too many failed logins, try again later"
          : result.reason === "disabled"
            ? "-ERR [AUTH] account disabled"
            : "-ERR [AUTH] invalid user name or password",
      );
      return this.bad();
    }
    const lock = await lockMaildrop(result.userId);
    if (!lock) return this.reply("-ERR [IN-USE] maildrop already locked by another session");
    try {
      const drop = await loadMaildrop(result.userId);
      this.state = { name: "transaction", userId: result.userId, email: result.email, drop, deleted: new Set(), retrieved: new Set(), lock };
      const total = drop.messages.reduce((n, m) => n + m.size, 0);
      this.reply(`+OK ${result.email} has ${drop.messages.length} messages (${total} octets)`);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  private message(state: Extract<State, { name: "transaction" }>, arg: string) {
    if (!/^\d{1,9}$/.test(arg.trim())) return null;
    const n = Number(arg.trim());
    const msg = state.drop.messages[n - 1];
    if (!msg || state.deleted.has(n)) return null;
    return { n, msg };
  }

  private async transaction(state: Extract<State, { name: "transaction" }>, cmd: string, arg: string) {
    const live = () => state.drop.messages.map((m, i) => ({ n: i + 1, m })).filter(({ n }) => !state.deleted.has(n));
    switch (cmd) {
      case "STAT": {
        const l = live();
        return this.reply(`+OK ${l.length} ${l.reduce((s, x) => s + x.m.size, 0)}`);
      }
      case "LIST":
      case "UIDL": {
        const value = (n: number, m: { uid: number; size: number }) => (cmd === "LIST" ? String(m.size) : `${state.drop.uidValidity}.${m.uid}`);
        if (arg) {
          const found = this.message(state, arg);
          if (!found) {
            this.reply("-ERR no such message");
            return this.bad();
          }
          return this.reply(`+OK ${found.n} ${value(found.n, found.msg)}`);
        }
        const lines = [`+OK ${live().length} messages`, ...live().map(({ n, m }) => `${n} ${value(n, m)}`), "."];
        return this.transport.write(lines.join("\r\n") + "\r\n");
      }
      case "RETR":
      case "TOP": {
        const [num, linesArg] = arg.split(" ");
        const found = this.message(state, num ?? "");
        if (!found || (cmd === "TOP" && !/^\d{1,9}$/.test(linesArg ?? ""))) {
          this.reply(found ? "-ERR TOP needs a message number and a line count" : "-ERR no such message");
          return this.bad();
        }
        const data = await this.readMessage(state, found.n);
        const body = dotStuff(data, cmd === "TOP" ? Number(linesArg) : undefined);
        const status = cmd === "RETR" ? `+OK ${found.msg.size} octets\r\n` : "+OK top of message follows\r\n";
        // One write for status and body: separate small writes meet delayed ACKs (40 ms each).
        await this.transport.writeAsync(Buffer.concat([Buffer.from(status), body]));
        if (cmd === "RETR") state.retrieved.add(found.n);
        return;
      }
      case "DELE": {
        const found = this.message(state, arg);
        if (!found) {
          this.reply("-ERR no such message");
          return this.bad();
        }
        state.deleted.add(found.n);
        return this.reply(`+OK message ${found.n} deleted`);
      }
      case "RSET":
        state.deleted.clear();
        return this.reply(`+OK maildrop has ${state.drop.messages.length} messages`);
      default:
        this.reply("-ERR unknown command");
        return this.bad();
    }
  }

  /** Reads message n, fetching it with the next few in one query: clients RETR in order. */
  private async readMessage(state: Extract<State, { name: "transaction" }>, n: number): Promise<Buffer> {
    const cached = this.prefetched.get(n);
    if (cached) {
      this.prefetched.delete(n);
      return cached;
    }
    this.prefetched.clear();
    const batch = state.drop.messages.slice(n - 1, n - 1 + PREFETCH).map((m, i) => ({ n: n + i, hash: m.blobHash }));
    const blobs = await readBlobs(batch.map((b) => b.hash));
    let budget = PREFETCH_BYTES;
    for (const b of batch.slice(1)) {
      const data = blobs.get(b.hash);
      if (!data || (budget -= data.length) < 0) break;
      this.prefetched.set(b.n, data);
    }
    const data = blobs.get(batch[0].hash);
    if (!data) throw new Error("message content missing");
    return data;
  }

  private async quit() {
    const state = this.state;
    if (state.name === "transaction") {
      // UPDATE state (RFC 1939 §6): deletions happen now, in one transaction, visible at once to
      // IMAP and the web; retrieved messages are marked \Seen as Dovecot does.
      try {
        const uids = [...state.deleted].map((n) => state.drop.messages[n - 1].uid);
        if (uids.length) await expungeMessages({ userId: state.userId, mailboxId: state.drop.mailboxId, uids, ignoreDeletedFlag: true });
        const seen = [...state.retrieved].filter((n) => !state.deleted.has(n)).map((n) => state.drop.messages[n - 1].uid);
        if (seen.length) await storeFlags({ userId: state.userId, mailboxId: state.drop.mailboxId, uids: seen, operation: "add", flags: ["\\Seen"] });
        this.reply(`+OK ${this.opts.hostname} POP3 signing off (${uids.length} messages deleted)`);
      } catch (err) {
        this.opts.log?.(`pop3 update failed: ${err instanceof Error ? err.message : err}`);
        this.reply("-ERR [SYS/TEMP] some deleted messages not removed");
      } finally {
        await state.lock.release();
      }
    } else {
      this.reply(`+OK ${this.opts.hostname} POP3 signing off`);
    }
    this.state = { name: "done" };
    this.transport.close();
  }
}
