import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, run, sleep, waitForPort } from "./util.ts";

// A private Postfix from Debian's package as the peer MX: `postfix -c DIR start` with its own
// main.cf/master.cf, queue and data directories under a temp dir, smtpd on 127.0.0.1 at a high
// port (never 25), the bench domain as a virtual mailbox domain whose recipients are handed to
// Dovecot over LMTP. The system's own Postfix (/etc/postfix) is neither read for settings nor
// started. master.cf is Debian's with the smtp listener moved and chroot off (the queue
// directory is a temp dir with no copy of /etc inside).

export interface PostfixInstance {
  dir: string;
  port: number;
  log(): string;
  stop(): Promise<void>;
}

export function postfixAvailable(): string | undefined {
  for (const bin of ["/usr/sbin/postfix", "/usr/sbin/smtp-source", "/etc/postfix/master.cf"]) {
    if (!fs.existsSync(bin)) return `${bin} missing: apt-get install -y postfix (its system daemon need not run)`;
  }
  return undefined;
}

export async function startPostfix(opts: { domain: string; recipients: string[]; lmtpPort: number }): Promise<PostfixInstance> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-bench-postfix-"));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const queue = path.join(dir, "spool");
  const data = path.join(dir, "data");
  fs.mkdirSync(queue);
  fs.mkdirSync(data);
  execFileSync("chown", ["postfix", data]);
  fs.writeFileSync(path.join(dir, "vmailbox"), opts.recipients.map((r) => `${r} ok`).join("\n") + "\n");
  const main = `
compatibility_level = 3.6
config_directory = ${dir}
queue_directory = ${queue}
data_directory = ${data}
maillog_file = ${dir}/postfix.log
maillog_file_prefixes = ${dir}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.peer.bench.test
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = $myhostname ESMTP
biff = no
append_dot_mydomain = no
alias_maps =
alias_database =
local_recipient_maps =
relayhost =
virtual_mailbox_domains = ${opts.domain}
virtual_mailbox_maps = texthash:${dir}/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:${opts.lmtpPort}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
`;
  fs.writeFileSync(path.join(dir, "main.cf"), main);
  const master = fs
    .readFileSync("/etc/postfix/master.cf", "utf8")
    .split("\n")
    .map((line) => {
      if (!line || /^[\s#]/.test(line)) return line;
      const f = line.split(/\s+/);
      if (f.length < 8) return line;
      if (f[0] === "smtp" && f[1] === "inet") f[0] = `127.0.0.1:${port}`;
      else if (f[1] === "inet") return `#${line}`;
      f[4] = "n";
      return f.join(" ");
    })
    .join("\n");
  fs.writeFileSync(path.join(dir, "master.cf"), master);
  const started = await run("postfix", ["-c", dir, "start"]);
  if (started.code !== 0) throw new Error(`postfix -c ${dir} start failed:\n${started.output}`);
  const readLog = () => {
    try {
      return fs.readFileSync(path.join(dir, "postfix.log"), "utf8");
    } catch {
      return "";
    }
  };
  try {
    await waitForPort(port, 20_000);
  } catch (err) {
    await run("postfix", ["-c", dir, "stop"]);
    throw new Error(`${(err as Error).message}\n${started.output}\n${readLog().slice(-3000)}`);
  }
  return {
    dir,
    port,
    log: readLog,
    stop: async () => {
      let master = 0;
      try {
        master = Number(fs.readFileSync(path.join(queue, "pid", "master.pid"), "utf8").trim());
      } catch {
        // not running
      }
      await run("postfix", ["-c", dir, "stop"]);
      // `postfix stop` returns before the master has gone; wait for it before removing its files.
      for (let i = 0; i < 100 && master && fs.existsSync(`/proc/${master}`); i++) await sleep(100);
      if (!process.env.BENCH_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
