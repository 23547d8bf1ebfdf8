import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { ImapFlow, type ImapFlowOptions } from "imapflow";
import { parseConfig, type Config } from "../../lib/config.ts";
import type { ImapLimits } from "../../lib/imap/limits.ts";
import { createImapServer, type ImapServer } from "../../lib/imap/server.ts";
import { getTlsMaterial, type TlsMaterial } from "../../lib/tls.ts";

// A real IMAP server on 127.0.0.1 port 0 (STARTTLS and implicit TLS), and clients for it:
// imapflow (trusting the server's self-signed certificate), and a raw socket for exact bytes.

export interface TestImap {
  config: Config;
  tls: TlsMaterial;
  port: number;
  securePort: number;
  plain: ImapServer;
  secure: ImapServer;
  close(): Promise<void>;
}

export async function startTestImap(opts: { limits?: Partial<ImapLimits>; log?: (line: string) => void } = {}): Promise<TestImap> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-imap-"));
  const config = parseConfig({ DATA_DIR: dataDir, MAIL_HOSTNAME: "mail.pigeon.test" });
  const material = await getTlsMaterial(config);
  const log = opts.log ?? ((line: string) => (process.env.IMAP_TEST_LOG ? console.log(line) : undefined));
  const plain = createImapServer({ config, tls: material, limits: opts.limits, log });
  const secure = createImapServer({ config, tls: material, implicitTls: true, limits: opts.limits, log });
  const port = await plain.listen(0, "127.0.0.1");
  const securePort = await secure.listen(0, "127.0.0.1");
  return {
    config,
    tls: material,
    port,
    securePort,
    plain,
    secure,
    close: async () => {
      await Promise.all([plain.close(), secure.close()]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** imapflow over STARTTLS, trusting the server's certificate as the web does. */
export function imapClient(server: TestImap, auth: ImapFlowOptions["auth"], extra: Partial<ImapFlowOptions> = {}): ImapFlow {
  return new ImapFlow({
    host: "127.0.0.1",
    port: server.port,
    secure: false,
    doSTARTTLS: true,
    auth,
    tls: { ca: [server.tls.cert], servername: "localhost" },
    logger: false,
    disableAutoIdle: true,
    ...extra,
  } as ImapFlowOptions);
}

/** A line-oriented raw client: what the server sends, byte for byte (latin1). */
export class RawImap {
  private data = "";
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(public socket: net.Socket) {
    this.attach(socket);
  }

  private attach(socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.data += chunk.toString("latin1");
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
    w.forEach((f) => f());
  }

  static async connect(port: number, opts: { tls?: boolean; ca?: string } = {}): Promise<RawImap> {
    const socket = opts.tls
      ? tls.connect({ host: "127.0.0.1", port, ca: opts.ca, servername: "localhost" })
      : net.connect({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? "secureConnect" : "connect", () => resolve());
      socket.once("error", reject);
    });
    const client = new RawImap(socket);
    await client.readUntil((d) => d.includes("\r\n"));
    return client;
  }

  /** Waits until `done(buffered)` holds; returns and consumes everything buffered. */
  async readUntil(done: (data: string) => boolean, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.data)) {
      if (this.closed) break;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout; got so far: ${JSON.stringify(this.data.slice(0, 2000))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const out = this.data;
    this.data = "";
    return out;
  }

  write(text: string | Buffer) {
    this.socket.write(text);
  }

  /** Sends `tag text` and returns everything up to and including the tagged answer. */
  async command(tag: string, text: string, timeoutMs = 5000): Promise<string> {
    this.write(`${tag} ${text}\r\n`);
    return this.readTagged(tag, timeoutMs);
  }

  async readTagged(tag: string, timeoutMs = 5000): Promise<string> {
    return this.readUntil((d) => new RegExp(`(^|\\r\\n)${tag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} (OK|NO|BAD)[^\\r\\n]*\\r\\n`).test(d), timeoutMs);
  }

  async startTls(ca: string): Promise<void> {
    const out = await this.command("S1", "STARTTLS");
    if (!/S1 OK/.test(out)) throw new Error(out);
    const plain = this.socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("close");
    const secure = tls.connect({ socket: plain, ca, servername: "localhost" });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  async login(user: string, password: string, ca: string): Promise<void> {
    await this.startTls(ca);
    const out = await this.command("L1", `LOGIN "${user}" "${password}"`);
    if (!/L1 OK/.test(out)) throw new Error(out);
  }

  close() {
    this.socket.destroy();
  }
}
