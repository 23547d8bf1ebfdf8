import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from "smtp-server";

// A remote mail server on 127.0.0.1 (any free port) that records what it receives and answers
// RCPT TO and DATA as a test scripts it. STARTTLS is offered with smtp-server's built-in
// self-signed certificate, as many real MX hosts do.

export interface Reply {
  code: number;
  /** Text after the code, e.g. "5.1.1 no such user". */
  text: string;
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: Buffer;
  secure: boolean;
  helo: string;
}

export interface FakeMx {
  port: number;
  received: ReceivedMail[];
  /** RCPT TO answers per address; `attempt` counts this address's RCPTs from 1. May take its time. */
  rcpt: Map<string, (attempt: number) => Reply | null | Promise<Reply | null>>;
  /** Answer after the final dot, for transactions with any of these recipients. */
  data: Map<string, (attempt: number) => Reply | null>;
  connections: number;
  rcptAttempts(address: string): number;
  close(): Promise<void>;
}

function smtpError(reply: Reply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.text), { responseCode: reply.code });
}

export async function startFakeMx(): Promise<FakeMx> {
  const received: ReceivedMail[] = [];
  const rcpt = new Map<string, (attempt: number) => Reply | null | Promise<Reply | null>>();
  const data = new Map<string, (attempt: number) => Reply | null>();
  const rcptCount = new Map<string, number>();
  const dataCount = new Map<string, number>();
  let connections = 0;
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ["AUTH"],
    size: 50 * 1024 * 1024,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: (err?: Error | null) => void) {
      const a = address.address.toLowerCase();
      const n = (rcptCount.get(a) ?? 0) + 1;
      rcptCount.set(a, n);
      Promise.resolve(rcpt.get(a)?.(n)).then(
        (r) => callback(r ? smtpError(r) : null),
        (err: Error) => callback(err),
      );
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        for (const a of to) {
          const key = a.toLowerCase();
          const n = (dataCount.get(key) ?? 0) + 1;
          dataCount.set(key, n);
          const r = data.get(key)?.(n);
          if (r) return callback(smtpError(r));
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to,
          raw: Buffer.concat(chunks),
          secure: session.secure,
          helo: session.hostNameAppearsAs,
        });
        callback(null, "2.0.0 queued as fake");
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  server.on("error", () => undefined);
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    received,
    rcpt,
    data,
    get connections() {
      return connections;
    },
    rcptAttempts: (a) => rcptCount.get(a.toLowerCase()) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
