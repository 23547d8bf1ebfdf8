import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, sleep, waitForPort } from "./util.ts";

// A private Dovecot from Debian's packages (dovecot-imapd, dovecot-pop3d, dovecot-lmtpd) for
// side-by-side figures: its own config, base_dir, passwd-file and mail under a temp dir, IMAPS,
// POP3S and LMTP on 127.0.0.1 high ports, run as root in the foreground (`dovecot -F -c FILE`)
// with Debian's service users (dovecot, dovenull, mail). Everything else is Dovecot's default
// (mail_fsync = optimized, high-security login processes), raised only where 1,000 concurrent
// IMAP connections need it.

export interface DovecotUser {
  name: string;
  /** Pigeon's stored hash ($argon2id$…): both servers verify the same password the same way. */
  passwordHash: string;
  /** mail_location for this user; default maildir:~/Maildir. */
  mail?: string;
}

export interface DovecotInstance {
  dir: string;
  pid: number;
  imapsPort: number;
  pop3sPort: number;
  lmtpPort: number;
  home(user: string): string;
  /** Gives the mail user the files written under a home (call after writing a maildir by hand). */
  fixOwnership(user: string): void;
  log(): string;
  stop(): Promise<void>;
}

export function dovecotAvailable(): string | undefined {
  try {
    execFileSync("dovecot", ["--version"], { stdio: "ignore" });
  } catch {
    return "dovecot not found: apt-get install -y dovecot-imapd dovecot-pop3d dovecot-lmtpd";
  }
  for (const bin of ["imap", "pop3", "lmtp"]) {
    if (!fs.existsSync(`/usr/lib/dovecot/${bin}`)) return `/usr/lib/dovecot/${bin} missing: apt-get install -y dovecot-imapd dovecot-pop3d dovecot-lmtpd`;
  }
  return undefined;
}

export async function startDovecot(opts: { users: DovecotUser[]; cert: string; key: string; maxConnections: number }): Promise<DovecotInstance> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-bench-dovecot-"));
  fs.chmodSync(dir, 0o755);
  const [imapsPort, pop3sPort, lmtpPort] = [await freePort(), await freePort(), await freePort()];
  const uid = Number(execFileSync("id", ["-u", "mail"]).toString());
  const gid = Number(execFileSync("id", ["-g", "mail"]).toString());
  fs.writeFileSync(path.join(dir, "cert.pem"), opts.cert);
  fs.writeFileSync(path.join(dir, "key.pem"), opts.key, { mode: 0o600 });
  const home = (user: string) => path.join(dir, "home", user);
  fs.mkdirSync(path.join(dir, "home"));
  fs.chownSync(path.join(dir, "home"), uid, gid);
  for (const u of opts.users) {
    fs.mkdirSync(home(u.name));
    fs.chownSync(home(u.name), uid, gid);
  }
  // passwd-file as passdb and userdb: user:password:uid:gid:gecos:home:shell:extra fields.
  fs.writeFileSync(
    path.join(dir, "passwd"),
    opts.users.map((u) => `${u.name}:{ARGON2ID}${u.passwordHash}:${uid}:${gid}::${home(u.name)}::${u.mail ? `userdb_mail=${u.mail}` : ""}`).join("\n") + "\n",
  );
  const limit = opts.maxConnections + 100;
  const conf = `
protocols = imap pop3 lmtp
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
first_valid_uid = ${Math.min(uid, 8)}
mail_location = maildir:~/Maildir
default_internal_user = dovecot
default_login_user = dovenull
default_client_limit = ${2 * limit + 1000}
passdb {
  driver = passwd-file
  args = ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = ${dir}/passwd
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = ${imapsPort}
    ssl = yes
  }
  process_limit = ${limit}
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = ${pop3sPort}
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${lmtpPort}
  }
}
service imap {
  process_limit = ${limit}
}
service anvil {
  chroot =
}
protocol imap {
  mail_max_userip_connections = ${limit}
}
`;
  fs.writeFileSync(path.join(dir, "dovecot.conf"), conf);
  const child: ChildProcess = spawn("dovecot", ["-F", "-c", path.join(dir, "dovecot.conf")], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const readLog = () => {
    try {
      return out + fs.readFileSync(path.join(dir, "dovecot.log"), "utf8");
    } catch {
      return out;
    }
  };
  try {
    await Promise.race([
      Promise.all([waitForPort(imapsPort, 20_000), waitForPort(pop3sPort, 20_000), waitForPort(lmtpPort, 20_000)]),
      exited.then(() => {
        throw new Error(`dovecot exited:\n${readLog().slice(-3000)}`);
      }),
    ]);
  } catch (err) {
    child.kill("SIGTERM");
    throw err;
  }
  return {
    dir,
    pid: child.pid!,
    imapsPort,
    pop3sPort,
    lmtpPort,
    home,
    fixOwnership: (user) => execFileSync("chown", ["-R", `${uid}:${gid}`, home(user)]),
    log: readLog,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(10_000)]);
      }
      if (!process.env.BENCH_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
