import net from "node:net";
import tls from "node:tls";
import type { Config } from "../config.ts";
import type { TlsMaterial } from "../tls.ts";
import { ImapConnection } from "./connection.ts";
import { defaultLimits, type ImapLimits } from "./limits.ts";
import { MailEventHub } from "./notifier.ts";
import type { ServerContext } from "./session.ts";

// Pigeon's IMAP server (RFC 9051 / RFC 3501): a listener for STARTTLS (IMAP_PORT) or implicit
// TLS (IMAPS_PORT), one ImapConnection per client, and one mail-event subscription that drives
// IDLE and untagged updates across processes.

export interface ImapServerOptions {
  config: Config;
  tls: Pick<TlsMaterial, "cert" | "key">;
  /** Implicit TLS (port 993 style); otherwise plain with STARTTLS. */
  implicitTls?: boolean;
  limits?: Partial<ImapLimits>;
  log?: (line: string) => void;
}

export interface ImapServer {
  /** Resolves with the port actually bound (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
  /** Open connections (for tests and health). */
  readonly connections: number;
}

export function createImapServer(opts: ImapServerOptions): ImapServer {
  const log = opts.log ?? ((line: string) => console.log(line));
  const limits: ImapLimits = { ...defaultLimits(opts.config.maxMessageSize), ...opts.limits };
  const hub = new MailEventHub();
  const context: ServerContext = { config: opts.config, limits, hub, log };
  const secureContext = tls.createSecureContext({ cert: opts.tls.cert, key: opts.tls.key });
  const open = new Set<ImapConnection>();
  const perIp = new Map<string, number>();
  let hubStarted: Promise<void> | undefined;

  const accept = (socket: net.Socket, secure: boolean) => {
    socket.on("error", () => undefined);
    const ip = socket.remoteAddress ?? "";
    const count = perIp.get(ip) ?? 0;
    if (open.size >= limits.maxConnections || count >= limits.maxConnectionsPerIp) {
      socket.end("* BYE Too many connections\r\n");
      return;
    }
    perIp.set(ip, count + 1);
    const conn = new ImapConnection(socket, context, { secure, canStartTls: !opts.implicitTls, secureContext });
    open.add(conn);
    conn.run().finally(() => {
      open.delete(conn);
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
    });
  };

  const server: net.Server = opts.implicitTls
    ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key }, (socket) => accept(socket, true))
    : net.createServer((socket) => accept(socket, false));
  server.on("tlsClientError", () => undefined);
  server.on("error", (err) => log(`imap: listener error: ${err.message}`));

  return {
    get connections() {
      return open.size;
    },
    async listen(port, host) {
      hubStarted ??= hub.start();
      await hubStarted;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      return (server.address() as net.AddressInfo).port;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...open].map((c) => c.shutdown()));
      await closed;
      await hub.stop();
    },
  };
}
