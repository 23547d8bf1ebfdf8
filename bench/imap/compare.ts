// Sends the same raw IMAP commands to Pigeon and to Dovecot and prints both answers, for the
// places where the RFCs leave room for doubt. Run: npx tsx bench/imap/compare.ts [file-of-commands]
// (DATABASE_URL: a Postgres server where a scratch database may be created).
import fs from "node:fs";
import tls from "node:tls";
import { startDovecot } from "./dovecot.ts";
import { startPigeon } from "./pigeon.ts";

const DEFAULT_SCRIPT = [
  "CAPABILITY",
  "SELECT INBOX",
  "FETCH 1 (BODY.PEEK[3] BODY.PEEK[1.MIME] BODY.PEEK[2.HEADER])",
  "FETCH 1 (BODYSTRUCTURE)",
  "FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])",
  "FETCH 5 FLAGS",
  "FETCH 1:* FLAGS",
  "UID FETCH 99 FLAGS",
  "SEARCH RETURN (MIN MAX COUNT ALL) ALL",
  "SEARCH RETURN () NOTHING",
  "SEARCH CHARSET ISO-8859-1 ALL",
  "STORE 1 +FLAGS.SILENT (\\Flagged)",
  "COPY 1 Nowhere",
  "LIST \"\" \"\"",
  "LIST \"\" %",
  "LSUB \"\" *",
  "STATUS INBOX (MESSAGES UNSEEN)",
  "ENABLE QRESYNC",
  "ENABLE CONDSTORE",
  "GETQUOTAROOT INBOX",
  "NAMESPACE",
  "CREATE INBOX",
  "DELETE Nope",
  "RENAME INBOX Other",
  "EXAMINE INBOX",
  "STORE 1 +FLAGS (\\Seen)",
  "UNSELECT",
  "FETCH 1 FLAGS",
  "FOO",
  "APPEND INBOX {5000000000}",
];

const message = Buffer.from(
  [
    "From: Bob <bob@remote.example>",
    "To: alice@example.test",
    "Subject: multi",
    "Date: Wed, 04 Feb 2026 09:30:00 +0100",
    "Message-ID: <multi@remote.example>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b1"',
    "",
    "--b1",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Caf=C3=A9 au lait",
    "--b1",
    "Content-Type: message/rfc822",
    "",
    "From: inner@x.test",
    "Subject: inner",
    "",
    "inner body",
    "--b1--",
    "",
  ].join("\r\n"),
);

class Client {
  private buf = "";
  private waiters: (() => void)[] = [];
  constructor(private socket: tls.TLSSocket) {
    socket.on("data", (d) => {
      this.buf += d.toString("latin1");
      this.waiters.splice(0).forEach((w) => w());
    });
  }
  static async open(port: number): Promise<Client> {
    const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
    await new Promise((r) => socket.once("secureConnect", r));
    const c = new Client(socket);
    await c.until((b) => b.includes("\r\n"));
    return c;
  }
  async until(done: (b: string) => boolean): Promise<string> {
    const end = Date.now() + 3000;
    while (!done(this.buf) && Date.now() < end) await new Promise<void>((r) => (this.waiters.push(r), setTimeout(r, 100)));
    const out = this.buf;
    this.buf = "";
    return out;
  }
  async cmd(tag: string, text: string): Promise<string> {
    this.socket.write(`${tag} ${text}\r\n`);
    return this.until((b) => new RegExp(`(^|\\n)${tag} (OK|NO|BAD)`).test(b) || b.startsWith("+ "));
  }
  close() {
    this.socket.destroy();
  }
}

const script = process.argv[2] ? fs.readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean) : DEFAULT_SCRIPT;
const pigeon = await startPigeon();
const dovecot = await startDovecot({ users: [{ name: pigeon.user.email, passwordHash: pigeon.user.passwordHash }], cert: pigeon.tls.cert, key: pigeon.tls.key });
for (const signal of ["SIGINT", "SIGTERM", "SIGPIPE"] as const) {
  process.on(signal, async () => {
    await dovecot.stop();
    await pigeon.stop();
    process.exit(1);
  });
}
try {
  const sides: [string, number][] = [
    ["pigeon", pigeon.securePort],
    ["dovecot", dovecot.securePort],
  ];
  const clients: Client[] = [];
  for (const [, port] of sides) {
    const c = await Client.open(port);
    await c.cmd("L", `LOGIN "${pigeon.user.email}" "${pigeon.user.password}"`);
    await c.cmd("A", `APPEND INBOX {${message.length}+}\r\n${message.toString("latin1")}`);
    clients.push(c);
  }
  let n = 0;
  for (const line of script) {
    const tag = `c${n++}`;
    console.log(`\n=== ${line}`);
    for (let i = 0; i < sides.length; i++) {
      const out = await clients[i].cmd(tag, line);
      console.log(`--- ${sides[i][0]}\n${out.replace(/\r\n$/, "")}`);
    }
  }
  clients.forEach((c) => c.close());
} finally {
  await dovecot.stop();
  await pigeon.stop();
}
process.exit(0);
