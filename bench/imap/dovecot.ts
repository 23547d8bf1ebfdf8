import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

// A throwaway Dovecot (apt-get install dovecot-imapd) for side-by-side comparisons: its own
// base_dir, config, passwd-file and mdbox storage under a temp dir, listening on 127.0.0.1 with
// the same certificate and the same argon2id password hash as Pigeon. Not part of `npm test`.

export interface DovecotInstance {
  dir: string;
  port: number;
  securePort: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function startDovecot(opts: {
  users: { name: string; passwordHash: string }[];
  cert: string;
  key: string;
}): Promise<DovecotInstance> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-dovecot-"));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const securePort = await freePort();
  fs.writeFileSync(path.join(dir, "cert.pem"), opts.cert);
  fs.writeFileSync(path.join(dir, "key.pem"), opts.key, { mode: 0o600 });
  fs.writeFileSync(
    path.join(dir, "passwd"),
    opts.users.map((u) => `${u.name}:{ARGON2ID}${u.passwordHash}::::::`).join("\n") + "\n",
  );
  fs.mkdirSync(path.join(dir, "home"), { recursive: true });
  execFileSync("chown", ["mail:mail", path.join(dir, "home")]);
  const conf = `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
first_valid_uid = 8
mail_location = mdbox:~/mdbox
mail_fsync = never
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = passwd-file
  args = ${dir}/passwd
}
userdb {
  driver = static
  args = uid=mail gid=mail home=${dir}/home/%u
}
service imap-login {
  inet_listener imap {
    port = ${port}
  }
  inet_listener imaps {
    port = ${securePort}
    ssl = yes
  }
}
service anvil {
  chroot =
}
protocol imap {
  mail_max_userip_connections = 1000
}
`;
  fs.writeFileSync(path.join(dir, "dovecot.conf"), conf);
  const child: ChildProcess = spawn("dovecot", ["-F", "-c", path.join(dir, "dovecot.conf")], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    port,
    securePort,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
