import tls from "node:tls";

// A minimal IMAP client for timing: implicit TLS, tagged commands, the whole response read.
export class BenchClient {
  private chunks: Buffer[] = [];
  private tail = "";
  private bytes = 0;
  private keep = false;
  private pending?: { tag: string; resolve: (r: { status: string; text: string; bytes: number }) => void; reject: (e: Error) => void };
  private seq = 0;
  greeting: Promise<void>;

  private constructor(private socket: tls.TLSSocket) {
    let greeted: () => void;
    this.greeting = new Promise((r) => (greeted = r));
    let gotGreeting = false;
    socket.on("data", (d: Buffer) => {
      if (!gotGreeting) {
        gotGreeting = true;
        greeted();
        return;
      }
      this.onData(d);
    });
    socket.on("error", (e) => this.pending?.reject(e));
    socket.on("close", () => this.pending?.reject(new Error("closed")));
  }

  static async connect(port: number): Promise<BenchClient> {
    const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
    const c = new BenchClient(socket);
    await c.greeting;
    return c;
  }

  private onData(d: Buffer) {
    this.bytes += d.length;
    if (this.keep) this.chunks.push(d);
    const p = this.pending;
    if (!p) return;
    const text = this.tail + d.toString("latin1");
    this.tail = text.slice(-256);
    const marker = `\r\n${p.tag} `;
    const at = text.lastIndexOf(marker);
    if (at < 0) return;
    const start = at + 2;
    const end = text.indexOf("\r\n", start);
    if (end < 0) return;
    const line = text.slice(start, end);
    this.pending = undefined;
    p.resolve({ status: line.split(" ")[1], text: this.keep ? Buffer.concat(this.chunks).toString("latin1") : line, bytes: this.bytes });
  }

  /** Sends a command and resolves with the tagged status (and the full text when `keep`). */
  command(text: string | Buffer, opts: { keep?: boolean } = {}): Promise<{ status: string; text: string; bytes: number }> {
    const tag = `B${++this.seq}`;
    this.chunks = [];
    // A virtual line end before the response, so the tagged line is found even when it comes first.
    this.tail = "\r\n";
    this.bytes = 0;
    this.keep = !!opts.keep;
    return new Promise((resolve, reject) => {
      this.pending = { tag, resolve, reject };
      this.socket.write(Buffer.concat([Buffer.from(`${tag} `), typeof text === "string" ? Buffer.from(text) : text, Buffer.from("\r\n")]));
    });
  }

  close() {
    this.socket.destroy();
  }
}
