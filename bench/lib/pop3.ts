import fs from "node:fs";
import path from "node:path";
import tls from "node:tls";

// POP3 load, the same client for every server: log in over implicit TLS (POP3S), RETR 1..n one
// after the other (each waiting for its terminating dot), QUIT.

/** Logs in over POP3S and RETRs every message; returns bytes received and seconds taken. */
export async function retrAll(port: number, user: string, pass: string): Promise<{ bytes: number; seconds: number; count: number }> {
  const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
  let buf = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  socket.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    waiter?.();
  });
  const until = async (pred: () => number) => {
    for (;;) {
      const end = pred();
      if (end >= 0) {
        const out = buf.subarray(0, end);
        buf = buf.subarray(end);
        return out;
      }
      await new Promise<void>((r) => (waiter = r));
    }
  };
  const line = () => until(() => (buf.indexOf("\r\n") >= 0 ? buf.indexOf("\r\n") + 2 : -1));
  const multi = () => until(() => (buf.indexOf("\r\n.\r\n") >= 0 ? buf.indexOf("\r\n.\r\n") + 5 : -1));
  await line();
  socket.write(`USER ${user}\r\n`);
  await line();
  socket.write(`PASS ${pass}\r\n`);
  const ok = (await line()).toString();
  if (!ok.startsWith("+OK")) throw new Error(`login failed: ${ok}`);
  socket.write("STAT\r\n");
  const count = Number((await line()).toString().split(" ")[1]);
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 1; i <= count; i++) {
    socket.write(`RETR ${i}\r\n`);
    bytes += (await multi()).length;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  socket.write("QUIT\r\n");
  await line();
  socket.destroy();
  return { bytes, seconds, count };
}

/** Best of `rounds` runs of retrAll, in MB/s (10^6 bytes) of RETR responses received. */
export async function bestRetrRate(port: number, user: string, pass: string, rounds: number): Promise<{ mbps: number; count: number; bytes: number }> {
  let top = { mbps: 0, count: 0, bytes: 0 };
  for (let r = 0; r < rounds; r++) {
    const res = await retrAll(port, user, pass);
    const mbps = res.bytes / 1e6 / res.seconds;
    if (mbps > top.mbps) top = { mbps, count: res.count, bytes: res.bytes };
  }
  return top;
}

/** Writes messages into a maildir's cur/ as Dovecot would name them (S= size for quick STAT). */
export function writeMaildir(maildir: string, messages: Buffer[]): void {
  for (const d of ["cur", "new", "tmp"]) fs.mkdirSync(path.join(maildir, d), { recursive: true });
  messages.forEach((m, i) => fs.writeFileSync(path.join(maildir, "cur", `${1700000000 + i}.M${i}P1.bench,S=${m.length}:2,`), m));
}
