import net from "node:net";
import tls from "node:tls";

// One raw client for SMTP, IMAP and POP3: exact bytes out (in one packet when written at once),
// everything the server sends kept as latin1 text, read by predicate. `localAddress` picks the
// loopback source address (127.0.0.x) a server sees, for per-address limits.

export interface ConnectOptions {
  port: number;
  /** Implicit TLS from the first byte. */
  tls?: boolean;
  localAddress?: string;
  timeoutMs?: number;
}

export class RawClient {
  private data = "";
  private waiters: (() => void)[] = [];
  closed = false;
  /** Bytes received in all (for flood tests that must not read everything into memory). */
  received = 0;

  private constructor(public socket: net.Socket) {
    this.attach(socket);
  }

  static async connect(opts: ConnectOptions): Promise<RawClient> {
    const base = { host: "127.0.0.1", port: opts.port, localAddress: opts.localAddress };
    const socket = opts.tls ? tls.connect({ ...base, rejectUnauthorized: false, servername: "localhost" }) : net.connect(base);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connect to ${opts.port} timed out`)), opts.timeoutMs ?? 10_000);
      socket.once(opts.tls ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    return new RawClient(socket);
  }

  private attach(socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.received += chunk.length;
      // Keep at most 1 MB of unread text: flood tests only look at the end of it.
      this.data = (this.data + chunk.toString("latin1")).slice(-1_000_000);
      this.notify();
    });
    socket.on("close", () => {
      this.closed = true;
      this.notify();
    });
    socket.on("error", () => undefined);
  }

  private notify() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** What has arrived and not been consumed yet. */
  get pending(): string {
    return this.data;
  }

  /**
   * Waits until `match(buffered)` returns an end offset; consumes and returns the text up to it.
   * Rejects on timeout, or when the connection closes first (unless `allowClose`).
   */
  async readUntil(match: (data: string) => number | null, timeoutMs = 10_000, allowClose = false): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = match(this.data);
      if (end !== null && end >= 0) {
        const out = this.data.slice(0, end);
        this.data = this.data.slice(end);
        return out;
      }
      if (this.closed) {
        if (allowClose) {
          const out = this.data;
          this.data = "";
          return out;
        }
        throw new Error(`connection closed; got: ${JSON.stringify(this.data.slice(0, 500))}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout; got so far: ${JSON.stringify(this.data.slice(0, 500))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Everything that arrives within `ms` (for checking that nothing unexpected comes). */
  async drain(ms: number): Promise<string> {
    await new Promise((r) => setTimeout(r, ms));
    const out = this.data;
    this.data = "";
    return out;
  }

  write(data: string | Buffer): boolean {
    if (this.closed || this.socket.destroyed) return false;
    return this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** Writes and waits for the socket to take it (for large floods). */
  async writeAll(data: Buffer): Promise<void> {
    if (this.closed || this.socket.destroyed) return;
    if (this.socket.write(data)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.once("drain", done);
      this.socket.once("close", done);
    });
  }

  // ─── SMTP ──────────────────────────────────────────────────────────────────────────────────────

  /** One complete SMTP reply (every line up to `ddd ` / `ddd\r\n`). */
  async smtpReply(timeoutMs = 10_000): Promise<{ code: number; text: string }> {
    const text = await this.readUntil((d) => {
      const m = /(^|\r\n)\d{3}(?: [^\r\n]*)?\r\n/.exec(d);
      return m ? m.index + m[0].length : null;
    }, timeoutMs);
    const last = text.trimEnd().split("\r\n").pop()!;
    return { code: Number(last.slice(0, 3)), text };
  }

  async smtp(line: string, timeoutMs = 10_000): Promise<{ code: number; text: string }> {
    this.write(line + "\r\n");
    return this.smtpReply(timeoutMs);
  }

  // ─── POP3 ──────────────────────────────────────────────────────────────────────────────────────

  async popLine(timeoutMs = 10_000): Promise<string> {
    const text = await this.readUntil((d) => {
      const i = d.indexOf("\r\n");
      return i < 0 ? null : i + 2;
    }, timeoutMs);
    return text.slice(0, -2);
  }

  async pop(line: string, timeoutMs = 10_000): Promise<string> {
    this.write(line + "\r\n");
    return this.popLine(timeoutMs);
  }

  /** A multi-line POP3 answer (after +OK), up to and including CRLF.CRLF. */
  async popMulti(line: string, timeoutMs = 10_000): Promise<string> {
    this.write(line + "\r\n");
    const first = await this.popLine(timeoutMs);
    if (!first.startsWith("+OK")) return first;
    const rest = await this.readUntil((d) => {
      if (d.startsWith(".\r\n")) return 3;
      const i = d.indexOf("\r\n.\r\n");
      return i < 0 ? null : i + 5;
    }, timeoutMs);
    return `${first}\r\n${rest}`;
  }

  // ─── IMAP ──────────────────────────────────────────────────────────────────────────────────────

  async imapTagged(tag: string, timeoutMs = 10_000): Promise<string> {
    const re = new RegExp(`(^|\\r\\n)${tag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} (OK|NO|BAD)[^\\r\\n]*\\r\\n`);
    return this.readUntil((d) => {
      const m = re.exec(d);
      return m ? m.index + m[0].length : null;
    }, timeoutMs);
  }

  async imap(tag: string, command: string, timeoutMs = 10_000): Promise<string> {
    this.write(`${tag} ${command}\r\n`);
    return this.imapTagged(tag, timeoutMs);
  }

  /** A line of the server (IMAP greeting, `+` continuation, untagged data). */
  async line(timeoutMs = 10_000): Promise<string> {
    return this.popLine(timeoutMs);
  }

  // ─── TLS ───────────────────────────────────────────────────────────────────────────────────────

  /** Upgrades the connection in place (after the server's go-ahead has been read). */
  async startTls(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("close");
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false, servername: "localhost" });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
      secure.once("close", () => reject(new Error("closed during the TLS handshake")));
    });
    this.socket = secure;
    this.attach(secure);
  }

  /** Resolves once the server has closed the connection (false on timeout). */
  async closedByServer(timeoutMs = 10_000): Promise<boolean> {
    if (this.closed) return true;
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once("close", () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
