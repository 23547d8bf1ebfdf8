import type { AddressInfo } from "node:net";
import type { SMTPServer } from "smtp-server";

// listen/close for an smtp-server instance, shared by the MX and submission servers.

export interface SmtpServerHandle {
  server: SMTPServer;
  /** Resolves with the bound port (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

export function smtpServerHandle(server: SMTPServer, label: string): SmtpServerHandle {
  // smtp-server reports socket and TLS errors of single connections here; without a listener an
  // EventEmitter 'error' would end the process.
  server.on("error", (err: Error & { code?: string }) => {
    if (err.code === "ECONNRESET" || err.code === "EPIPE") return;
    console.error(`${label}:`, err.message);
  });
  return {
    server,
    listen: (port, host) =>
      new Promise<number>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.server.once("error", onError);
        const onListening = () => {
          server.server.removeListener("error", onError);
          resolve((server.server.address() as AddressInfo).port);
        };
        if (host) server.listen(port, host, onListening);
        else server.listen(port, onListening);
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
