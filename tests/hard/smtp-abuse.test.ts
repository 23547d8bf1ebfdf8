import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../lib/config.ts";
import { getPool } from "../../lib/db/client.ts";
import type { RunningServer } from "../../lib/server-handle.ts";
import { startSmtpServers } from "../../workers/smtp.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { startTestDns, type TestDns } from "../helpers/test-dns.ts";
import { RawClient } from "./helpers/raw-client.ts";

// Issue 12, item 2 (SMTP): smuggling on the MX (25) and on submission (587 STARTTLS, 465 TLS),
// an open-relay corpus, commands pipelined behind STARTTLS, AUTH before TLS. The servers are the
// ones workers/smtp.ts starts, on free ports.

let db: TestDatabase;
let dns: TestDns;
let smtp: RunningServer;
let dataDir: string;
let mxPort: number;
let submissionPort: number;
let smtpsPort: number;
let domain: string;
let users: Record<string, { id: number; email: string }>;
const PASSWORD = "correct horse";

beforeAll(async () => {
  db = await createTestDatabase();
  dns = await startTestDns();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-hard-smtp-"));
  const config = parseConfig({
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    MAIL_HOSTNAME: "mx.hard.test",
    SMTP_PORT: "0",
    SUBMISSION_PORT: "0",
    SMTPS_PORT: "0",
    DNS_SERVERS: dns.address,
  });
  smtp = await startSmtpServers(config, () => undefined);
  [mxPort, submissionPort, smtpsPort] = smtp.ports;
  const seeded = await seedUsers(["alice", "bob", "victim", "target", "sender"]);
  domain = seeded.domain;
  users = seeded.users;
});

afterAll(async () => {
  await smtp?.close();
  await dns?.close();
  await db?.drop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function messagesOf(userId: number): Promise<string[]> {
  const r = await getPool().query<{ data: Buffer }>(
    "SELECT b.data FROM messages m JOIN blobs b ON b.hash = m.blob_hash WHERE m.user_id = $1 ORDER BY m.id",
    [userId],
  );
  return r.rows.map((x) => x.data.toString("latin1"));
}

async function outboundCount(): Promise<number> {
  const r = await getPool().query<{ n: number }>("SELECT count(*)::int AS n FROM outbound_messages");
  return r.rows[0].n;
}

async function mx(): Promise<RawClient> {
  const c = await RawClient.connect({ port: mxPort });
  expect((await c.smtpReply()).code).toBe(220);
  expect((await c.smtp("EHLO attacker.example")).code).toBe(250);
  return c;
}

/** A submission session, authenticated as `user` after STARTTLS (587) or on implicit TLS (465). */
async function submission(user: { email: string }, implicit: boolean): Promise<RawClient> {
  const c = await RawClient.connect({ port: implicit ? smtpsPort : submissionPort, tls: implicit });
  expect((await c.smtpReply()).code).toBe(220);
  expect((await c.smtp("EHLO client.example")).code).toBe(250);
  if (!implicit) {
    expect((await c.smtp("STARTTLS")).code).toBe(220);
    await c.startTls();
    expect((await c.smtp("EHLO client.example")).code).toBe(250);
  }
  const plain = Buffer.from(`\0${user.email}\0${PASSWORD}`).toString("base64");
  const auth = await c.smtp(`AUTH PLAIN ${plain}`);
  expect(auth.code, auth.text).toBe(235);
  return c;
}

// ─── Smuggling ─────────────────────────────────────────────────────────────────────────────────

// End-of-data look-alikes that some MTA somewhere takes for <CRLF>.<CRLF> (SEC Consult, "SMTP
// smuggling", 2023, and the follow-ups on Postfix, Sendmail, Exchange and Cisco): a message
// "ended" by one of them, followed by a second, pipelined transaction, must never yield two.
const SMUGGLING: [string, string][] = [
  ["LF.LF", "\n.\n"],
  ["LF.CRLF", "\n.\r\n"],
  ["CRLF.LF", "\r\n.\n"],
  ["CR.CR", "\r.\r"],
  ["CR.CRLF", "\r.\r\n"],
  ["CRLF.CR", "\r\n.\r"],
  ["LF.CR", "\n.\r"],
  ["CR.LF", "\r.\n"],
  ["CRLF NUL.CRLF", "\r\n\0.\r\n"],
  ["CRLF.NUL CRLF", "\r\n.\0\r\n"],
  ["CRLF.CR CRLF", "\r\n.\r\r\n"],
  ["CRLF.LF CRLF", "\r\n.\n\r\n"],
];

/** Carrier + smuggled transaction in one write; the real end of data only at the very end. */
function smuggle(sequence: string, from: string, smuggledFrom: string, smuggledTo: string, id: string): string {
  return (
    `From: ${from}\r\nTo: ${from}\r\nSubject: carrier ${id}\r\nMessage-ID: <carrier.${id}@hard.test>\r\n\r\nfirst body` +
    sequence +
    `MAIL FROM:<${smuggledFrom}>\r\nRCPT TO:<${smuggledTo}>\r\nDATA\r\n` +
    `From: ${smuggledFrom}\r\nTo: ${smuggledTo}\r\nSubject: smuggled ${id}\r\nMessage-ID: <smuggled.${id}@hard.test>\r\n\r\nwire the money\r\n.\r\n`
  );
}

/** Stored blobs (delivered or queued mail alike) holding the carrier or the smuggled text. */
async function smuggledAnywhere(id: string): Promise<number> {
  const r = await getPool().query<{ n: number }>(
    "SELECT count(*)::int AS n FROM blobs WHERE message_id = ANY($1) OR position($2::bytea IN data) > 0 OR position($3::bytea IN data) > 0",
    [[`<smuggled.${id}@hard.test>`, `<carrier.${id}@hard.test>`], Buffer.from(`smuggled ${id}`), Buffer.from(`carrier ${id}`)],
  );
  return r.rows[0].n;
}

describe("SMTP smuggling", () => {
  const refused: string[] = [];
  afterAll(() => {
    console.log(`smuggling: ${refused.length} attempts refused (${SMUGGLING.length} sequences × MX 25, submission 587, submission 465, split and whole)`);
  });

  for (const [name, sequence] of SMUGGLING) {
    it(`MX (25): a message ended by ${name} is refused as a whole, and nothing is smuggled`, async () => {
      for (const split of [false, true]) {
        const id = `mx-${name}-${split}`.replace(/[^a-z0-9-]/gi, "_");
        const c = await mx();
        expect((await c.smtp("MAIL FROM:<attacker@remote.example>")).code).toBe(250);
        expect((await c.smtp(`RCPT TO:<${users.victim.email}>`)).code).toBe(250);
        expect((await c.smtp("DATA")).code).toBe(354);
        const payload = smuggle(sequence, "attacker@remote.example", "ceo@bank.example", users.target.email, id);
        if (split) {
          // The look-alike split across two packets, as a slow sender's TCP stack might.
          const at = payload.indexOf(sequence) + 1;
          c.write(payload.slice(0, at));
          await new Promise((r) => setTimeout(r, 30));
          c.write(payload.slice(at));
        } else c.write(payload);
        const r = await c.smtpReply();
        expect(r.text, name).toMatch(/^554 5\.6\.0 /);
        refused.push(id);
        // In step: exactly one reply per command from here on, none for the smuggled ones.
        expect((await c.smtp("NOOP")).code).toBe(250);
        expect(await c.drain(100)).toBe("");
        c.close();
        expect(await smuggledAnywhere(id)).toBe(0);
      }
      expect(await messagesOf(users.target.id)).toHaveLength(0);
      expect((await messagesOf(users.victim.id)).filter((m) => m.includes("carrier"))).toHaveLength(0);
    });
  }

  for (const implicit of [false, true]) {
    const port = implicit ? "465" : "587";
    it(`submission (${port}): every look-alike is refused after DATA, nothing is queued or delivered`, async () => {
      const before = await outboundCount();
      for (const [name, sequence] of SMUGGLING) {
        const id = `sub${port}-${name}`.replace(/[^a-z0-9-]/gi, "_");
        const c = await submission(users.sender, implicit);
        expect((await c.smtp(`MAIL FROM:<${users.sender.email}>`)).code).toBe(250);
        expect((await c.smtp(`RCPT TO:<${users.victim.email}>`)).code).toBe(250);
        expect((await c.smtp("DATA")).code).toBe(354);
        c.write(smuggle(sequence, users.sender.email, users.alice.email, users.target.email, id));
        const r = await c.smtpReply();
        expect(r.code, `${name}: ${r.text}`).toBeGreaterThanOrEqual(500);
        refused.push(id);
        expect((await c.smtp("NOOP")).code).toBe(250);
        expect(await c.drain(50)).toBe("");
        c.close();
        expect(await smuggledAnywhere(id), name).toBe(0);
      }
      expect(await outboundCount()).toBe(before);
      expect(await messagesOf(users.target.id)).toHaveLength(0);
    });
  }
});

// ─── Open relay ────────────────────────────────────────────────────────────────────────────────

/**
 * RCPT arguments (the text after `RCPT TO:`), each an attempt to get mail for a domain Pigeon does
 * not host accepted on port 25. `local` marks forms that may legitimately reach alice (then they
 * must be delivered to alice and nobody else); everything else must get a 5xx.
 */
function relayCorpus(d: string): { arg: string; local?: boolean }[] {
  const D = d.toUpperCase();
  const lookalikeDomain = d.replace(/^d/, "\u0501"); // Cyrillic "ԁ"
  return [
    // plain and %-hack, !-path, quoted local parts
    { arg: "<victim@remote.example>" },
    { arg: `<victim%remote.example@${d}>` },
    { arg: `<victim%remote.example%relay.example@${d}>` },
    { arg: `<remote.example!victim@${d}>` },
    { arg: `<relay.example!remote.example!victim@${d}>` },
    { arg: `<"victim@remote.example"@${d}>` },
    { arg: `<"victim%remote.example"@${d}>` },
    { arg: `<"remote.example!victim"@${d}>` },
    { arg: `<"victim"@remote.example>` },
    { arg: `<"alice@${d}"@remote.example>` },
    // source routes
    { arg: `<@${d}:victim@remote.example>` },
    { arg: `<@${d},@relay.example:victim@remote.example>` },
    { arg: `<@remote.example:alice@${d}>`, local: true },
    // IP literals
    { arg: "<victim@[1.2.3.4]>" },
    { arg: "<alice@[127.0.0.1]>" },
    { arg: "<postmaster@[127.0.0.1]>" },
    { arg: "<victim@[IPv6:::1]>" },
    { arg: "<victim@[IPv6:2001:db8::1]>" },
    { arg: `<victim@[1.2.3.4]@${d}>` },
    // trailing dots, subdomains, suffixes
    { arg: "<victim@remote.example.>" },
    { arg: `<alice@${d}.>`, local: true },
    { arg: `<alice@${d}..>` },
    { arg: `<alice@sub.${d}>` },
    { arg: `<alice@${d}.remote.example>` },
    { arg: `<alice@${d}%remote.example>` },
    { arg: `<alice.@${d}>` },
    { arg: `<.alice@${d}>` },
    // mixed case
    { arg: "<VICTIM@REMOTE.EXAMPLE>" },
    { arg: `<VICTIM%REMOTE.EXAMPLE@${D}>` },
    { arg: `<ALICE@${D}>`, local: true },
    { arg: `<Alice@${d}>`, local: true },
    // unicode look-alikes
    { arg: "<victim@remote.ex\u0430mple>" },
    { arg: `<\u0430lice@${d}>` },
    { arg: `<alice@${lookalikeDomain}>` },
    { arg: `<victim\uFF20remote.example@${d}>` },
    { arg: `<victim@remote.example\u3002${d}>` },
    { arg: `<alice@${d}\u200B>` },
    { arg: `<alice\u200B@${d}>` },
    // <> tricks
    { arg: "<<victim@remote.example>>" },
    { arg: "victim@remote.example" },
    { arg: " <victim@remote.example>" },
    { arg: "<victim@remote.example" },
    // smtp-server takes the second address for an (ignored) ESMTP parameter: alice's, not a relay.
    { arg: `<alice@${d}> <victim@remote.example>`, local: true },
    { arg: `<alice@${d}>,<victim@remote.example>` },
    { arg: `<victim@remote.example><alice@${d}>` },
    { arg: `<victim@remote.example>@${d}` },
    { arg: `<victim@remote.example> NOTIFY=NEVER ORCPT=rfc822;alice@${d}` },
    { arg: "<>" },
    { arg: "<@>" },
    { arg: `<victim@remote.example\0@${d}>` },
    // multiple @
    { arg: `<victim@remote.example@${d}>` },
    { arg: `<alice@${d}@remote.example>` },
    { arg: `<victim@@${d}>` },
    { arg: `<@victim@remote.example>` },
  ];
}

describe("open relay", () => {
  it("MX (25): every address trick is refused with 5xx; the local forms reach alice and nobody else", async () => {
    const corpus = relayCorpus(domain);
    const before = await outboundCount();
    const outcomes: { arg: string; local?: boolean; code: number; text: string }[] = [];
    const accepted: string[] = [];
    // One transaction per batch: the MX ends a connection after 20 error replies.
    for (let i = 0; i < corpus.length; i += 10) {
      const c = await mx();
      expect((await c.smtp("MAIL FROM:<relay@attacker.example>")).code).toBe(250);
      const batchAccepted: string[] = [];
      for (const { arg, local } of corpus.slice(i, i + 10)) {
        const r = await c.smtp(`RCPT TO:${arg}`);
        outcomes.push({ arg, local, code: r.code, text: r.text.trim() });
        if (r.code === 250) batchAccepted.push(arg);
      }
      if (batchAccepted.length) {
        expect((await c.smtp("DATA")).code).toBe(354);
        c.write(`From: relay@attacker.example\r\nSubject: relay corpus ${i}\r\nMessage-ID: <relay.corpus.${i}@hard.test>\r\n\r\nhello\r\n.\r\n`);
        expect((await c.smtpReply()).code).toBe(250);
        accepted.push(...batchAccepted);
      }
      c.close();
    }
    const refusedCount = outcomes.filter((o) => o.code >= 500).length;
    console.log(
      `open relay corpus (MX): ${corpus.length} forms, ${refusedCount} refused with 5xx, ${accepted.length} accepted for alice:\n` +
        outcomes.map((o) => `  ${o.code} RCPT TO:${JSON.stringify(o.arg)}`).join("\n"),
    );
    const wronglyAccepted = outcomes.filter((o) => o.code === 250 && !o.local).map((o) => `RCPT TO:${o.arg} → ${o.text}`);
    const notRefused = outcomes.filter((o) => o.code !== 250 && o.code < 500).map((o) => `RCPT TO:${o.arg} → ${o.text}`);
    expect(wronglyAccepted).toEqual([]);
    expect(notRefused).toEqual([]);
    expect(await outboundCount()).toBe(before);
    const batches = new Set(outcomes.filter((o) => o.code === 250).map((o) => Math.floor(corpus.findIndex((c) => c.arg === o.arg) / 10)));
    for (const [name, u] of Object.entries(users)) {
      const got = (await messagesOf(u.id)).filter((m) => m.includes("relay corpus"));
      expect(got.length, name).toBe(name === "alice" ? batches.size : 0);
    }
  });

  it("MX (25): refusals do not depend on the connection's error budget", async () => {
    // The same corpus over fresh connections, one RCPT each: no refusal is an artefact of 421.
    for (const { arg, local } of relayCorpus(domain)) {
      const c = await mx();
      expect((await c.smtp("MAIL FROM:<relay@attacker.example>")).code).toBe(250);
      const r = await c.smtp(`RCPT TO:${arg}`);
      if (!local) expect(r.code, `RCPT TO:${arg} → ${r.text}`).toBeGreaterThanOrEqual(500);
      c.close();
    }
  });

  for (const implicit of [false, true]) {
    const port = implicit ? "465" : "587";
    it(`submission (${port}): without AUTH neither MAIL nor RCPT is taken`, async () => {
      const c = await RawClient.connect({ port: implicit ? smtpsPort : submissionPort, tls: implicit });
      await c.smtpReply();
      await c.smtp("EHLO attacker.example");
      if (!implicit) {
        expect((await c.smtp("STARTTLS")).code).toBe(220);
        await c.startTls();
        await c.smtp("EHLO attacker.example");
      }
      const mail = await c.smtp("MAIL FROM:<attacker@remote.example>");
      expect(mail.text).toMatch(/^530 5\.7\.0 /);
      const rcpt = await c.smtp("RCPT TO:<victim@remote.example>");
      expect(rcpt.code).toBeGreaterThanOrEqual(500);
      expect((await c.smtp("DATA")).code).toBeGreaterThanOrEqual(500);
      c.close();
    });
  }
});

// ─── STARTTLS command injection, AUTH before TLS ───────────────────────────────────────────────

describe("STARTTLS", () => {
  for (const which of ["MX (25)", "submission (587)"] as const) {
    it(`${which}: commands pipelined behind STARTTLS in the same packet are dropped`, async () => {
      const port = which === "MX (25)" ? mxPort : submissionPort;
      const c = await RawClient.connect({ port });
      await c.smtpReply();
      await c.smtp("EHLO attacker.example");
      const auth = Buffer.from(`\0${users.sender.email}\0${PASSWORD}`).toString("base64");
      const injected =
        which === "MX (25)"
          ? `EHLO injected.example\r\nMAIL FROM:<injected@attacker.example>\r\nRCPT TO:<${users.victim.email}>\r\n`
          : `EHLO injected.example\r\nAUTH PLAIN ${auth}\r\nMAIL FROM:<${users.sender.email}>\r\n`;
      c.write(`STARTTLS\r\n${injected}`);
      const go = await c.smtpReply();
      expect(go.code).toBe(220);
      // Nothing answered in clear text after the 220 either.
      expect(c.pending).toBe("");
      let handshake = true;
      await c.startTls().catch(() => {
        handshake = false;
      });
      if (handshake) {
        // No reply to the injected commands inside TLS, and the session is fresh: no EHLO, no
        // sender, no login.
        expect(await c.drain(200)).toBe("");
        const rcpt = await c.smtp(`RCPT TO:<${users.victim.email}>`);
        expect(rcpt.code, rcpt.text).toBeGreaterThanOrEqual(500);
        await c.smtp("EHLO client.example");
        const mail = await c.smtp(`MAIL FROM:<${users.sender.email}>`);
        if (which === "MX (25)") expect(mail.code).toBe(250);
        else expect(mail.text, "the injected AUTH must not have logged in").toMatch(/^530 /);
      }
      c.close();
    });
  }
});

describe("AUTH before TLS", () => {
  it("MX (25): no AUTH at all, in clear or after STARTTLS, even with the right password", async () => {
    const c = await RawClient.connect({ port: mxPort });
    await c.smtpReply();
    const ehlo = await c.smtp("EHLO client.example");
    expect(ehlo.text).not.toMatch(/AUTH/);
    const plain = Buffer.from(`\0${users.alice.email}\0${PASSWORD}`).toString("base64");
    expect((await c.smtp(`AUTH PLAIN ${plain}`)).code).toBeGreaterThanOrEqual(500);
    expect((await c.smtp("AUTH LOGIN")).code).toBeGreaterThanOrEqual(500);
    expect((await c.smtp("STARTTLS")).code).toBe(220);
    await c.startTls();
    const ehlo2 = await c.smtp("EHLO client.example");
    expect(ehlo2.text).not.toMatch(/AUTH/);
    expect((await c.smtp(`AUTH PLAIN ${plain}`)).code).toBeGreaterThanOrEqual(500);
    c.close();
  });

  it("submission (587): AUTH PLAIN, AUTH LOGIN and AUTH with an initial response are refused with 530 before STARTTLS", async () => {
    const c = await RawClient.connect({ port: submissionPort });
    await c.smtpReply();
    const ehlo = await c.smtp("EHLO client.example");
    expect(ehlo.text).not.toMatch(/AUTH/);
    const plain = Buffer.from(`\0${users.alice.email}\0${PASSWORD}`).toString("base64");
    for (const line of [`AUTH PLAIN ${plain}`, "AUTH PLAIN", "AUTH LOGIN", `AUTH LOGIN ${Buffer.from(users.alice.email).toString("base64")}`, "AUTH CRAM-MD5", "AUTH XOAUTH2 x"]) {
      const r = await c.smtp(line);
      expect(r.text, line).toMatch(/^530 5\.7\.0 /);
    }
    // Still not logged in: MAIL is refused.
    expect((await c.smtp(`MAIL FROM:<${users.alice.email}>`)).code).toBe(530);
    c.close();
  });
});
