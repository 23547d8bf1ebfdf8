import net from "node:net";
import tls from "node:tls";
import type { Config } from "../config.ts";
import type { TlsMaterial } from "../tls.ts";
import { LineReader } from "./line-reader.ts";
import { Pop3Session, type LoginResult } from "./session.ts";

// POP3 listeners: POP3_PORT with STLS and POP3S_PORT with implicit TLS (RFC 8314).

const MAX_LINE = 512; // RFC 2449 §4 allows 255 octets for commands; SASL responses run longer.
const IDLE_TIMEOUT_MS = 10 * 60 * 1000; // RFC 1939 §3: at least 10 minutes
const MAX_CONNECTIONS_PER_IP = 20;

export interface Pop3ServerOptions {
  config: Config;
  tls: TlsMaterial;
  login(input: { email: string; password: string; ip: string }): Promise<LoginResult>;
  log?: (line: string) => void;
}

export interface Pop3Server {
  listen(port: number, host: string, implicitTls: boolean): Promise<number>;
  close(): Promise<void>;
}

export function createPop3Server(opts: Pop3ServerOptions): Pop3Server {
  const secureContext = tls.createSecureContext({ cert: opts.tls.cert, key: opts.tls.key, minVersion: "TLSv1.2" });
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const perIp = new Map<string, number>();

  function handle(raw: net.Socket, implicitTls: boolean) {
    const ip = raw.remoteAddress ?? "";
    const count = (perIp.get(ip) ?? 0) + 1;
    perIp.set(ip, count);
    sockets.add(raw);
    raw.once("close", () => {
      sockets.delete(raw);
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
    });
    if (count > MAX_CONNECTIONS_PER_IP) {
      raw.end("-ERR [SYS/TEMP] too many connections from your address\r\n");
      return;
    }
    raw.setNoDelay(true);
    let socket: net.Socket = raw;
    let secure = implicitTls;
    let upgrading = false;
    let reader = new LineReader(MAX_LINE);
    const session = new Pop3Session(
      {
        write: (d) => {
          if (!socket.destroyed && !socket.writableEnded) socket.write(d);
        },
        writeAsync: (d) =>
          new Promise<void>((resolve) => {
            if (socket.destroyed || socket.writableEnded) return resolve();
            if (socket.write(d)) resolve();
            else socket.once("drain", () => resolve());
          }),
        close: () => socket.end(),
        startTls: () =>
          new Promise<void>((resolve, reject) => {
            upgrading = true;
            socket.removeListener("data", onData);
            // Nothing read in clear text may become part of a command inside TLS, not even an
            // unfinished line (RFC 2595 §4, CVE-2011-0411): a fresh reader for the TLS stream.
            reader = new LineReader(MAX_LINE);
            const secured = new tls.TLSSocket(socket, { isServer: true, secureContext });
            secured.once("secure", () => {
              socket = secured;
              secure = true;
              upgrading = false;
              secured.on("data", onData);
              resolve();
            });
            secured.once("error", reject);
            secured.setTimeout(IDLE_TIMEOUT_MS, () => secured.destroy());
            secured.on("close", () => void session.closed());
          }),
        get secure() {
          return secure;
        },
        remoteAddress: ip,
      },
      { hostname: opts.config.mailHostname, login: opts.login, log: opts.log },
    );
    function onData(chunk: Buffer) {
      for (const ev of reader.push(chunk)) {
        // Anything pipelined behind STLS in plaintext is dropped (RFC 2595 §4, STARTTLS injection).
        if (upgrading) return;
        if (ev.kind === "too-long") session.lineTooLong();
        else {
          if (!secure && /^stls$/i.test(ev.line.trim())) {
            void session.handleLine(ev.line);
            return; // the rest of this chunk came before the handshake: dropped
          }
          void session.handleLine(ev.line);
        }
      }
    }
    socket.on("data", onData);
    socket.on("error", () => undefined);
    socket.setTimeout(IDLE_TIMEOUT_MS, () => {
      socket.end("-ERR autologout: idle for too long\r\n");
    });
    socket.on("close", () => void session.closed());
    session.greet();
  }

  return {
    listen(port, host, implicitTls) {
      const server = implicitTls
        ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: "TLSv1.2" }, (s) => handle(s, true))
        : net.createServer((s) => handle(s, false));
      server.on("tlsClientError", () => undefined);
      servers.push(server);
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port));
      });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
