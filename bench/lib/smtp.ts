import { spawn } from "node:child_process";
import fs from "node:fs";
import { sleep } from "./util.ts";

// Inbound SMTP load: Postfix's smtp-source (the same generator for every server), and a clock that
// stops when the last message is stored, not when smtp-source is done: for Postfix that is when
// Dovecot's LMTP has written it into the maildir, for Pigeon when the row is committed.

export const smtpSourcePath = ["/usr/sbin/smtp-source", "/usr/bin/smtp-source"].find((p) => fs.existsSync(p));

export interface SmtpRunResult {
  messages: number;
  stored: number;
  /** smtp-source start → last message stored. */
  seconds: number;
  /** smtp-source start → smtp-source exit (every message accepted with 250). */
  acceptSeconds: number;
  perSecond: number;
  exitCode: number;
  output: string;
}

export async function smtpSourceRun(opts: {
  port: number;
  recipient: string;
  sender: string;
  messages: number;
  sessions: number;
  size: number;
  /** -d: many messages per connection; otherwise one connection per message (smtp-source's default). */
  reuse: boolean;
  /** Messages stored so far for this run's recipient. */
  stored: () => Promise<number>;
  /** Give up when nothing more is stored for this long after smtp-source exits. */
  stallMs?: number;
}): Promise<SmtpRunResult & { args: string[] }> {
  if (!smtpSourcePath) throw new Error("smtp-source not found: apt-get install -y postfix");
  const args = ["-s", String(opts.sessions), "-m", String(opts.messages), "-l", String(opts.size), "-f", opts.sender, "-t", opts.recipient, "-M", "client.bench.test"];
  if (opts.reuse) args.unshift("-d");
  args.push(`127.0.0.1:${opts.port}`);
  const t0 = process.hrtime.bigint();
  const since = () => Number(process.hrtime.bigint() - t0) / 1e9;
  const child = spawn(smtpSourcePath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  let exitCode: number | undefined;
  let acceptSeconds = 0;
  child.on("exit", (code) => {
    exitCode = code ?? -1;
    acceptSeconds = since();
  });
  let stored = 0;
  let lastProgress = Date.now();
  let seconds = 0;
  for (;;) {
    await sleep(stored > opts.messages * 0.98 ? 20 : 100);
    const n = await opts.stored();
    const t = since();
    if (n > stored) {
      stored = n;
      seconds = t;
      lastProgress = Date.now();
    }
    if (stored >= opts.messages) break;
    if (exitCode !== undefined && Date.now() - lastProgress > (opts.stallMs ?? 15_000)) break;
  }
  while (exitCode === undefined) await sleep(20);
  return { messages: opts.messages, stored, seconds, acceptSeconds, perSecond: stored / seconds, exitCode, output: output.slice(0, 2000), args };
}

/** Messages in a maildir (new/ and cur/). */
export function maildirCount(maildir: string): number {
  let n = 0;
  for (const sub of ["new", "cur"]) {
    try {
      n += fs.readdirSync(`${maildir}/${sub}`).length;
    } catch {
      // not created yet
    }
  }
  return n;
}
