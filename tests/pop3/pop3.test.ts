import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyMailLogin } from "../../lib/auth/mail-login.ts";
import { parseConfig } from "../../lib/config.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { getMailboxOrThrow } from "../../lib/mail/mailboxes.ts";
import { listMessages } from "../../lib/mail/messages.ts";
import { createPop3Server, type Pop3Server } from "../../lib/pop3/server.ts";
import { getTlsMaterial } from "../../lib/tls.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { imapClient, startTestImap, type TestImap } from "../imap/helpers.ts";
import { rawMessage, seedUsers } from "../helpers/fixtures.ts";

const run = promisify(execFile);
let db: TestDatabase;
let server: Pop3Server;
let port: number;
let tlsPort: number;
let dataDir: string;
let users: Record<string, { id: number; email: string }>;
const delivered: Buffer[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-pop3-"));
  const config = parseConfig({ DATA_DIR: dataDir, MAIL_HOSTNAME: "mail.pop3.test" });
  server = createPop3Server({
    config,
    tls: await getTlsMaterial(config),
    login: ({ email, password, ip }) => verifyMailLogin({ email, password, ip, protocol: "pop3" }),
  });
  port = await server.listen(0, "127.0.0.1", false);
  tlsPort = await server.listen(0, "127.0.0.1", true);
  ({ users } = await seedUsers(["alice", "bob", "carol", "dave"]));
  // Messages that need byte-stuffing and odd endings.
  const tricky = [
    Buffer.from("Subject: dots\r\n\r\n.starts with a dot\r\n..two dots\r\n.\r\nend\r\n"),
    Buffer.from("Subject: no final newline\r\n\r\nlast line"),
    rawMessage({ subject: "plain", body: "hello\nworld" }),
  ];
  for (const raw of tricky) {
    await deliverMessage({ raw, targets: [{ userId: users.alice.id }] });
    delivered.push(raw);
  }
}, 60_000);

afterAll(async () => {
  await server.close();
  await db.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A raw POP3 conversation over TLS: sends each command after the previous reply completes. */
async function conversation(commands: string[], opts: { multiline?: (cmd: string) => boolean } = {}): Promise<string[]> {
  const socket = tls.connect({ host: "127.0.0.1", port: tlsPort, rejectUnauthorized: false });
  const replies: string[] = [];
  let buffer = "";
  const next = (multi: boolean) =>
    new Promise<string>((resolve) => {
      const check = () => {
        const end = multi ? buffer.indexOf("\r\n.\r\n") : buffer.indexOf("\r\n");
        const isErr = buffer.startsWith("-ERR");
        const stop = multi && !isErr ? end : buffer.indexOf("\r\n");
        if (stop >= 0) {
          const len = multi && !isErr ? stop + 5 : stop + 2;
          const reply = buffer.slice(0, len);
          buffer = buffer.slice(len);
          socket.off("data", onData);
          resolve(reply);
        }
      };
      const onData = (d: Buffer) => {
        buffer += d.toString("latin1");
        check();
      };
      socket.on("data", onData);
      check();
    });
  replies.push(await next(false));
  for (const c of commands) {
    socket.write(c + "\r\n");
    replies.push(await next(opts.multiline?.(c) ?? (/^(CAPA|LIST|UIDL|RETR|TOP)( |$)/i.test(c) && !/^(LIST|UIDL) \d/i.test(c))));
  }
  socket.destroy();
  return replies;
}

describe("POP3 server", () => {
  it("refuses USER, PASS and AUTH before TLS and offers STLS", async () => {
    const s = net.connect(port, "127.0.0.1");
    let text = "";
    s.on("data", (d) => (text += d));
    await new Promise((r) => setTimeout(r, 200));
    s.write("CAPA\r\nUSER alice\r\nAUTH PLAIN AGFsaWNlAHg=\r\n");
    await new Promise((r) => setTimeout(r, 300));
    s.destroy();
    expect(text).toMatch(/^\+OK/);
    expect(text).toMatch(/\r\nSTLS\r\n/);
    expect(text).not.toMatch(/SASL PLAIN/);
    expect(text.match(/-ERR \[AUTH\] TLS required/g)).toHaveLength(2);
  });

  it("serves Python's poplib over STLS and implicit TLS with exact bytes", async () => {
    const script = `
import poplib, ssl, sys, hashlib, json
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
out = {}
for mode in ("stls", "tls"):
    if mode == "stls":
        p = poplib.POP3("127.0.0.1", ${port}); p.stls(context=ctx)
    else:
        p = poplib.POP3_SSL("127.0.0.1", ${tlsPort}, context=ctx)
    p.user(${JSON.stringify(users.alice.email)}); p.pass_("correct horse")
    count, size = p.stat()
    uidl = [l.decode() for l in p.uidl()[1]]
    msgs = []
    for i in range(1, count + 1):
        resp, lines, octets = p.retr(i)
        msgs.append(hashlib.sha256(b"\\r\\n".join(lines) + b"\\r\\n").hexdigest())
    top = [l.decode() for l in p.top(1, 1)[1]]
    p.quit()
    out[mode] = {"count": count, "size": size, "uidl": uidl, "msgs": msgs, "top": top}
print(json.dumps(out))
`;
    const { stdout } = await run("python3", ["-c", script]);
    const out = JSON.parse(stdout);
    const expectedHashes = delivered.map((raw) => {
      const withEnding = raw.subarray(raw.length - 2).toString() === "\r\n" ? raw : Buffer.concat([raw, Buffer.from("\r\n")]);
      return createHash("sha256").update(withEnding).digest("hex");
    });
    for (const mode of ["stls", "tls"]) {
      expect(out[mode].count).toBe(3);
      expect(out[mode].size).toBe(delivered.reduce((n, b) => n + b.length, 0));
      expect(out[mode].msgs).toEqual(expectedHashes);
      expect(out[mode].uidl.map((l: string) => l.split(" ")[0])).toEqual(["1", "2", "3"]);
      expect(out[mode].top).toEqual(["Subject: dots", "", ".starts with a dot"]);
    }
    expect(out.stls.uidl).toEqual(out.tls.uidl); // stable across sessions
  });

  it("works with curl's pop3 (STLS) and pop3s", async () => {
    const user = `${users.alice.email}:correct horse`;
    const list = await run("curl", ["-sS", "--ssl-reqd", "-k", "-u", user, `pop3://127.0.0.1:${port}/`]);
    expect(list.stdout.trim().split(/\r?\n/)).toHaveLength(3);
    const msg = await run("curl", ["-sS", "-k", "-u", user, `pop3s://127.0.0.1:${tlsPort}/3`]);
    expect(msg.stdout).toContain("Subject: plain");
  });

  it("locks the maildrop: a second session gets [IN-USE] until the first connection dies", async () => {
    const first = tls.connect({ host: "127.0.0.1", port: tlsPort, rejectUnauthorized: false });
    let firstText = "";
    first.on("data", (d) => (firstText += d));
    await new Promise((r) => first.once("secureConnect", r));
    first.write(`USER ${users.alice.email}\r\nPASS correct horse\r\n`);
    for (let i = 0; i < 50 && !/has \d+ messages/.test(firstText); i++) await new Promise((r) => setTimeout(r, 50));
    expect(firstText).toMatch(/\+OK .* has 3 messages/);
    const second = await conversation([`USER ${users.alice.email}`, "PASS correct horse"]);
    expect(second[2]).toMatch(/^-ERR \[IN-USE\]/);
    first.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const third = await conversation([`USER ${users.alice.email}`, "PASS correct horse", "QUIT"]);
    expect(third[2]).toMatch(/^\+OK/);
  });

  it("applies DELE only at QUIT, visible at once to the store, and forgets it when the connection drops", async () => {
    const userId = users.bob.id;
    for (let i = 0; i < 3; i++) await deliverMessage({ raw: rawMessage({ subject: `bob ${i}` }), targets: [{ userId }] });
    const inbox = await getMailboxOrThrow({ userId, name: "INBOX" });
    // Dropped connection: no UPDATE state, nothing deleted.
    const s = tls.connect({ host: "127.0.0.1", port: tlsPort, rejectUnauthorized: false });
    await new Promise((r) => s.once("secureConnect", r));
    s.write(`USER ${users.bob.email}\r\nPASS correct horse\r\nDELE 1\r\n`);
    await new Promise((r) => setTimeout(r, 500));
    s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect((await listMessages({ userId, mailboxId: inbox.id })).length).toBe(3);
    const r = await conversation([`USER ${users.bob.email}`, "PASS correct horse", "DELE 1", "DELE 1", "RETR 1", "STAT", "RETR 2", "QUIT"]);
    expect(r[3]).toMatch(/^\+OK/);
    expect(r[4]).toMatch(/^-ERR/);
    expect(r[5]).toMatch(/^-ERR/);
    expect(r[6]).toMatch(/^\+OK 2 /);
    expect(r[8]).toMatch(/^\+OK .*1 messages deleted/);
    const left = await listMessages({ userId, mailboxId: inbox.id });
    expect(left.map((m) => m.uid)).toEqual([2, 3]);
    expect(left[0].flags).toContain("\\Seen"); // RETR marks read, as Dovecot does
    // And an IMAP client sees the same at once.
    const imap: TestImap = await startTestImap();
    try {
      const client = imapClient(imap, { user: users.bob.email, pass: "correct horse" });
      await client.connect();
      const lock = await client.getMailboxLock("INBOX");
      const seen: { uid: number; flags: string[] }[] = [];
      for await (const m of client.fetch("1:*", { uid: true, flags: true })) seen.push({ uid: m.uid, flags: [...(m.flags ?? [])] });
      lock.release();
      await client.logout();
      expect(seen.map((m) => m.uid)).toEqual([2, 3]);
      expect(seen[0].flags).toContain("\\Seen");
    } finally {
      await imap.close();
    }
  });

  it("refuses bad passwords and too many bad commands, and survives an endless line", async () => {
    const bad = await conversation([`USER ${users.carol.email}`, "PASS wrong"]);
    expect(bad[2]).toMatch(/^-ERR \[AUTH\]/);
    const s = tls.connect({ host: "127.0.0.1", port: tlsPort, rejectUnauthorized: false });
    let text = "";
    s.on("data", (d) => (text += d));
    await new Promise((r) => s.once("secureConnect", r));
    s.write("X".repeat(200_000) + "\r\nNOOP\r\n");
    for (let i = 0; i < 12; i++) s.write("BOGUS\r\n");
    await new Promise((r) => s.once("close", r));
    expect(text).toMatch(/-ERR line too long/);
    expect(text).toMatch(/too many errors/);
  });

  it("lets fetchmail download a 1,000-message maildrop, every message identical", async () => {
    const userId = users.dave.id;
    const sent: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      const raw = rawMessage({ subject: `bulk ${i}`, body: `message number ${i}\n.leading dot line ${i}\n` + "x".repeat(i % 200) });
      sent.push(raw);
    }
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (let i = w; i < sent.length; i += 10) await deliverMessage({ raw: sent[i], targets: [{ userId }] });
      }),
    );
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-fetchmail-"));
    const rc = path.join(out, "fetchmailrc");
    fs.writeFileSync(
      rc,
      `poll 127.0.0.1 service ${tlsPort} protocol POP3 uidl user "${users.dave.email}" password "correct horse" ssl no sslcertck keep mda "${path.join(out, "mda.sh")}"\n`,
      { mode: 0o600 },
    );
    fs.writeFileSync(path.join(out, "mda.sh"), `#!/bin/sh\ncat > "${out}/msg.$(date +%s%N).$$"\n`, { mode: 0o755 });
    await run("fetchmail", ["-f", rc, "--invisible", "--norewrite", "--nosyslog", "-i", path.join(out, "ids")], {
      env: { ...process.env, HOME: out, FETCHMAILHOME: out },
      timeout: 240_000,
    }).catch((e) => {
      if (e.code !== 0 && e.code !== 1) throw e;
    });
    const files = fs.readdirSync(out).filter((f) => f.startsWith("msg."));
    expect(files).toHaveLength(1000);
    // fetchmail hands messages to the MDA with LF line endings; compare on that convention.
    const want = new Set(sent.map((b) => createHash("sha256").update(b.toString("latin1").replace(/\r\n/g, "\n")).digest("hex")));
    const got = new Set(files.map((f) => createHash("sha256").update(fs.readFileSync(path.join(out, f), "latin1")).digest("hex")));
    expect([...want].filter((h) => !got.has(h))).toEqual([]);
    fs.rmSync(out, { recursive: true, force: true });
  }, 300_000);
});

