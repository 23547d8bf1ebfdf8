import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { parseConfig, type Config } from "../../../lib/config.ts";
import { getPool } from "../../../lib/db/client.ts";
import { createInboundServer, type InboundLimits, type InboundServer } from "../../../lib/smtp/inbound.ts";
import { getTlsMaterial } from "../../../lib/tls.ts";
import type { TestDns } from "../../helpers/test-dns.ts";

// The MX started for a test file on 127.0.0.1 port 0, a raw SMTP client for exact bytes, and a
// look at what the store holds.

export const MX_HOSTNAME = "mx.pigeon.test";

export interface RunningInbound {
  port: number;
  config: Config;
  server: InboundServer;
  close(): Promise<void>;
}

export async function startInbound(
  opts: { dns?: TestDns; maxMessageSize?: number; limits?: Partial<InboundLimits>; log?: (line: string) => void } = {},
): Promise<RunningInbound> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-smtp-"));
  const config = parseConfig({
    MAIL_HOSTNAME: MX_HOSTNAME,
    DATA_DIR: dataDir,
    DNS_SERVERS: opts.dns?.address,
    MAX_MESSAGE_SIZE: opts.maxMessageSize ? String(opts.maxMessageSize) : undefined,
  });
  const material = await getTlsMaterial(config);
  const server = createInboundServer({ config, tls: material, limits: opts.limits, log: opts.log ?? (() => undefined), closeTimeoutMs: 1000 });
  const port = await server.listen(0, "127.0.0.1");
  return {
    port,
    config,
    server,
    close: async () => {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  code: number;
  /** Every line of the reply, joined with \n, codes included. */
  text: string;
  lines: string[];
}

/** A raw SMTP client: exact bytes out, whole replies in. */
export class RawSmtp {
  private buffer = "";
  private replies: Reply[] = [];
  private waiters: ((r: Reply | null) => void)[] = [];
  private closed = false;
  private constructor(private socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      socket.once("connect", () => resolve(new RawSmtp(socket)));
      socket.once("error", reject);
    });
  }

  private attach(socket: net.Socket | tls.TLSSocket) {
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => this.onData(d));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(null);
    });
  }

  private onData(chunk: string) {
    this.buffer += chunk;
    let lines: string[] = [];
    for (;;) {
      const i = this.buffer.indexOf("\r\n");
      if (i < 0) break;
      const line = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 2);
      lines.push(line);
      if (/^\d{3}( |$)/.test(line)) {
        const reply = { code: Number(line.slice(0, 3)), text: lines.join("\n"), lines };
        lines = [];
        const w = this.waiters.shift();
        if (w) w(reply);
        else this.replies.push(reply);
      }
    }
    if (lines.length) this.buffer = lines.map((l) => l + "\r\n").join("") + this.buffer;
  }

  /** The next reply; rejects if none comes within `timeoutMs` or the connection closes first. */
  read(timeoutMs = 10_000): Promise<Reply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error("no reply in time"));
      }, timeoutMs);
      const waiter = (r: Reply | null) => {
        clearTimeout(timer);
        if (r) resolve(r);
        else reject(new Error("connection closed"));
      };
      this.waiters.push(waiter);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<Reply> {
    this.write(line + "\r\n");
    return this.read();
  }

  /** Upgrades with STARTTLS (the 220 must already have been read). */
  async startTls(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("close");
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false, servername: MX_HOSTNAME });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  /** Resolves once the server has closed the connection. */
  closedByServer(timeoutMs = 10_000): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once("close", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Greeting, EHLO, MAIL FROM, RCPT TOs, asserting each is accepted; leaves the session before DATA. */
export async function openTransaction(port: number, from: string, to: string[]): Promise<RawSmtp> {
  const c = await RawSmtp.connect(port);
  await expectCode(c.read(), 220);
  await expectCode(c.command("EHLO client.example"), 250);
  await expectCode(c.command(`MAIL FROM:<${from}>`), 250);
  for (const r of to) await expectCode(c.command(`RCPT TO:<${r}>`), 250);
  return c;
}

async function expectCode(p: Promise<Reply>, code: number): Promise<Reply> {
  const r = await p;
  if (r.code !== code) throw new Error(`expected ${code}, got: ${r.text}`);
  return r;
}

export interface StoredMessage {
  mailbox: string;
  raw: string;
  uid: number;
}

/** What a user's mailboxes hold, oldest first. */
export async function storedMessages(userId: number): Promise<StoredMessage[]> {
  const r = await getPool().query<{ name: string; data: Buffer; uid: number }>(
    `SELECT b.name, bl.data, m.uid FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id JOIN blobs bl ON bl.hash = m.blob_hash
     WHERE m.user_id = $1 ORDER BY m.id`,
    [userId],
  );
  return r.rows.map((row) => ({ mailbox: row.name, raw: row.data.toString("utf8"), uid: row.uid }));
}

/** The header section of a stored message, unfolded, as `name: value` lines. */
export function headerLines(raw: string): string[] {
  const end = raw.indexOf("\r\n\r\n");
  return (end < 0 ? raw : raw.slice(0, end)).replace(/\r\n[ \t]+/g, " ").split("\r\n");
}

export function message(opts: { from: string; to: string; subject: string; body?: string; extraHeaders?: string[] }): string {
  return [
    `From: ${opts.from}`,
    `To: ${opts.to}`,
    `Subject: ${opts.subject}`,
    "Date: Tue, 03 Feb 2026 10:00:00 +0000",
    `Message-ID: <${Math.random().toString(36).slice(2)}@client.example>`,
    ...(opts.extraHeaders ?? []),
    "",
    opts.body ?? "Hello.",
    "",
  ].join("\r\n");
}
