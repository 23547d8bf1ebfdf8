import { createHash } from "node:crypto";
import { RawSmtp } from "../../smtp/helpers/smtp-harness.ts";
import { sleep } from "./worker-process.ts";

// An SMTP load for the durability test: `count` messages, each with a unique Message-ID per
// attempt, sent over `concurrency` connections that each run one transaction after another.
// Whatever happens to the server, the client records exactly which attempts got 250 after the
// final dot. A logical message whose attempt failed (4xx/5xx, connection lost, no reply) is
// tried again under a new Message-ID, as an MTA would retry, so that every attempt is either
// acknowledged (must be stored exactly once) or not (may be stored at most once: the server can
// commit and then die before its 250 leaves).

export interface Attempt {
  messageId: string;
  logical: number;
  /** The reply code after the final dot; 0 when none came (connection lost, timeout). */
  code: number;
  acked: boolean;
  /** sha256 of the body as sent, to check what is stored. */
  bodyHash: string;
}

export interface LoadResult {
  attempts: Attempt[];
  /** Logical messages that got a 250 in the end. */
  delivered: number;
  /** Logical messages that never did within `maxAttempts`. */
  abandoned: number;
  connects: number;
  connectFailures: number;
}

export interface LoadOptions {
  port: () => number;
  count: number;
  concurrency: number;
  from: string;
  to: string;
  runId: string;
  maxAttempts?: number;
  /** Reply timeout (the server may hang while its database restarts). */
  replyTimeoutMs?: number;
  /** Called after every finished attempt (for kill schedules keyed on progress). */
  onAttempt?: (done: number, acked: number) => void;
  /** Gives up reconnecting after this long without success. */
  reconnectDeadlineMs?: number;
  /** Stops the load early (the test's other side failed). */
  aborted?: () => boolean;
}

export function buildMessage(opts: { from: string; to: string; messageId: string; logical: number }): { raw: Buffer; bodyHash: string } {
  const lines: string[] = [];
  for (let i = 0; i < 20; i++) lines.push(`line ${i} of message ${opts.logical}: the quick brown fox jumps over the lazy dog`);
  lines.push(".leading dot that must be unstuffed");
  const body = lines.join("\r\n") + "\r\n";
  const head = [
    `From: Load <${opts.from}>`,
    `To: <${opts.to}>`,
    `Subject: durability ${opts.logical}`,
    "Date: Tue, 03 Feb 2026 10:00:00 +0000",
    `Message-ID: ${opts.messageId}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "",
  ].join("\r\n");
  return { raw: Buffer.from(head + body), bodyHash: createHash("sha256").update(body).digest("hex") };
}

function dotStuff(raw: Buffer): Buffer {
  const text = raw.toString("latin1").replace(/^\./gm, "..");
  return Buffer.from(text + (text.endsWith("\r\n") ? "" : "\r\n") + ".\r\n", "latin1");
}

export async function runSmtpLoad(opts: LoadOptions): Promise<LoadResult> {
  const maxAttempts = opts.maxAttempts ?? 40;
  const replyTimeoutMs = opts.replyTimeoutMs ?? 20_000;
  const attempts: Attempt[] = [];
  let next = 0;
  let delivered = 0;
  let abandoned = 0;
  let connects = 0;
  let connectFailures = 0;
  let ackedCount = 0;

  async function connect(): Promise<RawSmtp> {
    const deadline = Date.now() + (opts.reconnectDeadlineMs ?? 60_000);
    for (;;) {
      try {
        const c = await RawSmtp.connect(opts.port());
        const greeting = await c.read(replyTimeoutMs);
        if (greeting.code !== 220) throw new Error(greeting.text);
        const ehlo = await c.command("EHLO load.client.test");
        if (ehlo.code !== 250) throw new Error(ehlo.text);
        connects++;
        return c;
      } catch {
        connectFailures++;
        if (opts.aborted?.()) throw new Error("load aborted");
        if (Date.now() > deadline) throw new Error("could not reach the SMTP server again");
        await sleep(100);
      }
    }
  }

  /** One transaction; returns the final reply code (0: none) and whether the connection is still usable. */
  async function transact(c: RawSmtp, raw: Buffer): Promise<{ code: number; usable: boolean }> {
    try {
      const steps = [`MAIL FROM:<${opts.from}>`, `RCPT TO:<${opts.to}>`, "DATA"];
      for (const step of steps) {
        c.write(step + "\r\n");
        const r = await c.read(replyTimeoutMs);
        const want = step === "DATA" ? 354 : 250;
        if (r.code !== want) {
          if (r.code === 421 || c.isClosed) return { code: r.code, usable: false };
          // Abort the transaction; the connection can go on.
          const rset = await c.command("RSET").catch(() => null);
          return { code: r.code, usable: rset?.code === 250 };
        }
      }
      c.write(dotStuff(raw));
      const final = await c.read(replyTimeoutMs);
      return { code: final.code, usable: final.code !== 421 && !c.isClosed };
    } catch {
      return { code: 0, usable: false };
    }
  }

  async function worker(): Promise<void> {
    let c: RawSmtp | null = null;
    try {
      for (;;) {
        if (opts.aborted?.()) return;
        const logical = next++;
        if (logical >= opts.count) return;
        let ok = false;
        for (let attempt = 1; attempt <= maxAttempts && !ok; attempt++) {
          const messageId = `<${opts.runId}.${logical}.${attempt}@load.pigeon.test>`;
          const { raw, bodyHash } = buildMessage({ from: opts.from, to: opts.to, messageId, logical });
          c ??= await connect();
          const { code, usable } = await transact(c, raw);
          ok = code === 250;
          attempts.push({ messageId, logical, code, acked: ok, bodyHash });
          if (ok) ackedCount++;
          opts.onAttempt?.(attempts.length, ackedCount);
          if (!usable) {
            c.close();
            c = null;
          }
          // Back off as an MTA would (growing, capped): a restarting database takes seconds.
          if (!ok) await sleep(Math.min(1000, 50 * attempt));
        }
        if (ok) delivered++;
        else abandoned++;
      }
    } finally {
      c?.close();
    }
  }

  await Promise.all(Array.from({ length: opts.concurrency }, () => worker()));
  return { attempts, delivered, abandoned, connects, connectFailures };
}
