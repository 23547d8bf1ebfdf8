import { authenticate } from "mailauth";
import { Resolver } from "node:dns/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { addAlias } from "../../lib/accounts/aliases.ts";
import { getPool } from "../../lib/db/client.ts";
import { parseTopHeaders } from "../../lib/mime/structure.ts";
import { enqueueMessage } from "../../lib/queue/enqueue.ts";
import { claimDueRecipients } from "../../lib/queue/store.ts";
import { rawMessage, seedUsers } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/wait.ts";
import { createRelayTestEnv, inbox, recipientRows, type RelayTestEnv } from "./helpers/env.ts";

// The relay end to end over real sockets: enqueueMessage → Postgres queue → MX lookup through a
// DNS server on 127.0.0.1 (DNS_SERVERS) → SMTP to a fake remote MX (OUTBOUND_SMTP_PORT).

let env: RelayTestEnv;
let sender: { domain: string; users: Record<string, { id: number; email: string }> };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

beforeAll(async () => {
  env = await createRelayTestEnv();
  sender = await seedUsers(["alice", "bob"]);
  await env.publishDkim(sender.domain);
  env.publishMx("remote.test", [{ host: "mx.remote.test", priority: 10 }]);
});

afterEach(async () => {
  // Mail a test leaves pending must not surface (and bounce) in a later test's runs.
  await getPool().query(
    "DELETE FROM outbound_messages WHERE id IN (SELECT message_id FROM outbound_recipients WHERE status IN ('QUEUED', 'DEFERRED'))",
  );
});

afterAll(async () => {
  await env?.close();
});

function alice() {
  return sender.users.alice;
}

async function send(to: string[], opts: { from?: string; subject?: string; headers?: string[]; sender?: string } = {}) {
  const from = opts.from ?? alice().email;
  const raw = rawMessage({ from, to: to.join(", "), subject: opts.subject ?? "Hi", headers: opts.headers });
  const result = await enqueueMessage(
    { userId: alice().id, sender: opts.sender ?? from, recipients: to, raw, source: "web" },
    { ctx: env.ctx },
  );
  return { raw, result };
}

function receivedBy(address: string) {
  return env.mx.received.filter((m) => m.to.includes(address));
}

function headerValue(raw: Buffer, name: string): string | undefined {
  return parseTopHeaders(raw).find((h) => h.name === name)?.value;
}

describe("remote delivery", () => {
  it("delivers over SMTP with a DKIM signature that verifies against the published key", async () => {
    const { raw, result } = await send(["bob@remote.test"], { subject: "Signed" });
    expect(result.recipients).toEqual([expect.objectContaining({ address: "bob@remote.test", local: false, status: "QUEUED" })]);

    expect(await env.worker().runOnce()).toBe(1);

    const [mail] = receivedBy("bob@remote.test");
    expect(mail.from).toBe(alice().email);
    expect(mail.helo).toBe("relay.pigeon.test");
    expect(mail.secure).toBe(true); // STARTTLS against a self-signed certificate
    // The DKIM-Signature field is all the relay adds.
    expect(mail.raw.toString("latin1")).toMatch(/^DKIM-Signature: /);
    expect(mail.raw.subarray(mail.raw.length - raw.length).equals(raw)).toBe(true);
    expect(headerValue(mail.raw, "dkim-signature")).toContain(`d=${sender.domain}`);

    const resolver = new Resolver();
    resolver.setServers([env.dns.address]);
    const auth = await authenticate(mail.raw, {
      ip: "127.0.0.1",
      helo: "relay.pigeon.test",
      sender: alice().email,
      mta: "mx.remote.test",
      resolver: ((name: string, rr: string) => resolver.resolve(name, rr)) as never,
    });
    expect(auth.dkim.results[0].status.result).toBe("pass");
    expect(auth.dkim.results[0].signingDomain).toBe(sender.domain);

    const [row] = await recipientRows(result.messageId);
    expect(row.status).toBe("DELIVERED");
    expect(row.attempts).toBe(1);
    expect(row.remote_reply).toMatch(/^mx\.remote\.test\[127\.0\.0\.1\] \(TLS\): 250 /);
    expect(row.locked_until).toBeNull();
  });

  it("sends one transaction per domain and reports per-recipient refusals", async () => {
    env.mx.rcpt.set("nobody@remote.test", () => ({ code: 550, text: "5.1.1 no such user" }));
    const { result } = await send(["carol@remote.test", "nobody@remote.test"], { subject: "Two" });
    await env.worker().runOnce();

    const mails = receivedBy("carol@remote.test");
    expect(mails).toHaveLength(1);
    expect(mails[0].to).toEqual(["carol@remote.test"]);
    const rows = await recipientRows(result.messageId);
    expect(rows.map((r) => [r.address, r.status])).toEqual([
      ["carol@remote.test", "DELIVERED"],
      ["nobody@remote.test", "BOUNCED"],
    ]);
    expect(rows[1].last_error).toContain("550 5.1.1 no such user");
  });

  it("splits more than 100 recipients at one domain into transactions of 100", async () => {
    env.publishMx("many.test", [{ host: "mx.many.test", priority: 10 }]);
    const to = Array.from({ length: 120 }, (_, i) => `u${i}@many.test`);
    const { result } = await send(to, { subject: "Many" });
    await env.worker().runOnce();
    const mails = env.mx.received.filter((m) => m.to.some((a) => a.endsWith("@many.test")));
    expect(mails.map((m) => m.to.length)).toEqual([100, 20]);
    expect(new Set((await recipientRows(result.messageId)).map((r) => r.status))).toEqual(new Set(["DELIVERED"]));
  });

  it("tries MX hosts by preference and falls back when the first is down", async () => {
    env.publishMx("pref.test", [
      { host: "backup.pref.test", priority: 20 },
      { host: "primary.pref.test", priority: 10 },
    ]);
    for (let i = 0; i < 3; i++) await send([`user${i}@pref.test`]);
    await env.worker().runOnce();
    for (let i = 0; i < 3; i++) {
      const r = await getPool().query("SELECT status, remote_reply FROM outbound_recipients WHERE address = $1", [`user${i}@pref.test`]);
      expect(r.rows[0].status).toBe("DELIVERED");
      expect(r.rows[0].remote_reply).toMatch(/^primary\.pref\.test\[/);
    }

    // 127.0.0.9 is loopback with nothing listening: connection refused.
    env.publishMx("fallback.test", [
      { host: "down.fallback.test", priority: 5, address: "127.0.0.9" },
      { host: "up.fallback.test", priority: 10 },
    ]);
    const { result } = await send(["dave@fallback.test"]);
    await env.worker().runOnce();
    const [row] = await recipientRows(result.messageId);
    expect(row.status).toBe("DELIVERED");
    expect(row.remote_reply).toMatch(/^up\.fallback\.test\[127\.0\.0\.1\]/);
    expect(env.logs.some((l) => l.includes("down.fallback.test[127.0.0.9]"))).toBe(true);
  });

  it("defers on 4xx, retries on schedule, then delivers", async () => {
    env.mx.rcpt.set("flaky@remote.test", (n) => (n === 1 ? { code: 451, text: "4.3.0 try again later" } : null));
    const { result } = await send(["flaky@remote.test"]);
    const worker = env.worker();
    await worker.runOnce();

    let [row] = await recipientRows(result.messageId);
    expect(row.status).toBe("DEFERRED");
    expect(row.attempts).toBe(1);
    expect(row.last_error).toContain("451 4.3.0 try again later");
    expect(row.next_attempt_at.getTime()).toBe(env.clock.now + MINUTE);

    expect(await worker.runOnce()).toBe(0); // not due yet
    env.clock.advance(MINUTE);
    expect(await worker.runOnce()).toBe(1);
    [row] = await recipientRows(result.messageId);
    expect(row.status).toBe("DELIVERED");
    expect(row.attempts).toBe(2);
    expect(receivedBy("flaky@remote.test")).toHaveLength(1);
  });

  it("defers when no MX host answers, with a growing schedule", async () => {
    env.publishMx("dead.test", [{ host: "mx.dead.test", priority: 10, address: "127.0.0.9" }]);
    const { result } = await send(["x@dead.test"]);
    const worker = env.worker();
    const gaps: number[] = [];
    for (let i = 0; i < 8; i++) {
      await worker.runOnce();
      const [row] = await recipientRows(result.messageId);
      expect(row.status).toBe("DEFERRED");
      expect(row.last_error).toMatch(/mx\.dead\.test\[127\.0\.0\.9\]: .*ECONNREFUSED|refused/i);
      gaps.push((row.next_attempt_at.getTime() - env.clock.now) / MINUTE);
      env.clock.now = row.next_attempt_at.getTime();
    }
    expect(gaps).toEqual([1, 5, 15, 30, 60, 120, 240, 240]);
  });
});

describe("bounces and delivery status notifications", () => {
  it("bounces a 5xx and puts exactly one multipart/report DSN in the local sender's INBOX", async () => {
    env.mx.rcpt.set("gone@remote.test", () => ({ code: 550, text: "5.1.1 mailbox unavailable" }));
    const before = (await inbox(alice().id)).length;
    const { result } = await send(["gone@remote.test"], { subject: "Will bounce" });
    await env.worker().runOnce();

    const [row] = await recipientRows(result.messageId);
    expect(row.status).toBe("BOUNCED");
    const messages = await inbox(alice().id);
    expect(messages).toHaveLength(before + 1);
    const dsn = messages[messages.length - 1];
    expect(headerValue(dsn, "content-type")).toMatch(/^multipart\/report; report-type=delivery-status;/);
    expect(headerValue(dsn, "from")).toBe("Mail Delivery System <MAILER-DAEMON@relay.pigeon.test>");
    expect(headerValue(dsn, "auto-submitted")).toBe("auto-replied");
    const text = dsn.toString("latin1");
    expect(text).toContain("Content-Type: message/delivery-status");
    expect(text).toContain("Reporting-MTA: dns; relay.pigeon.test");
    expect(text).toContain("Final-Recipient: rfc822; gone@remote.test");
    expect(text).toContain("Action: failed");
    expect(text).toContain("Status: 5.1.1");
    expect(text).toContain("Remote-MTA: dns; mx.remote.test");
    expect(text).toContain("Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable");
    expect(text).toContain("Content-Type: text/rfc822-headers");
    expect(text).toContain("Subject: Will bounce");

    // The DSN went through the queue with the null sender and was delivered locally.
    const dsnRows = await getPool().query("SELECT m.sender, m.source, r.status FROM outbound_messages m JOIN outbound_recipients r ON r.message_id = m.id WHERE m.id > $1", [result.messageId]);
    expect(dsnRows.rows).toEqual([{ sender: "", source: "dsn", status: "DELIVERED" }]);

    // Nothing more happens on later runs.
    env.clock.advance(HOUR);
    await env.worker().runOnce();
    expect(await inbox(alice().id)).toHaveLength(before + 1);
  });

  it("sends a delay notice after 4 hours and a failure DSN when the queue lifetime ends", async () => {
    env.mx.rcpt.set("slow@remote.test", () => ({ code: 451, text: "4.2.1 mailbox busy" }));
    const before = (await inbox(alice().id)).length;
    const { result } = await send(["slow@remote.test"], { subject: "Patience" });
    const worker = env.worker();
    await worker.runOnce();
    expect((await recipientRows(result.messageId))[0].status).toBe("DEFERRED");
    expect(await inbox(alice().id)).toHaveLength(before);

    env.clock.advance(4 * HOUR + MINUTE);
    await worker.runOnce();
    let [row] = await recipientRows(result.messageId);
    expect(row.status).toBe("DEFERRED");
    expect(row.delay_notified_at).not.toBeNull();
    let messages = await inbox(alice().id);
    expect(messages).toHaveLength(before + 1);
    const notice = messages[messages.length - 1].toString("latin1");
    expect(notice).toContain("Subject: Delivery Status Notification (Delay)");
    expect(notice).toContain("Action: delayed");
    expect(notice).toContain("Status: 4.2.1");
    expect(notice).toContain("Will-Retry-Until: ");

    // Further failures before the end bring no second notice.
    env.clock.advance(3 * HOUR);
    await worker.runOnce();
    expect(await inbox(alice().id)).toHaveLength(before + 1);

    // Past the 120-hour lifetime: the next failure bounces.
    env.clock.advance(120 * HOUR);
    await worker.runOnce();
    [row] = await recipientRows(result.messageId);
    expect(row.status).toBe("BOUNCED");
    expect(row.last_error).toMatch(/^delivery time expired: gave up after 120 hours/);
    messages = await inbox(alice().id);
    expect(messages).toHaveLength(before + 2);
    const failure = messages[messages.length - 1].toString("latin1");
    expect(failure).toContain("Subject: Delivery Status Notification (Failure)");
    expect(failure).toContain("Final-Recipient: rfc822; slow@remote.test");
    expect(failure).toContain("Action: failed");
    expect(failure).toContain("Status: 4.2.1");
  });

  it("bounces at once for a domain with a null MX, without connecting anywhere", async () => {
    env.dns.set("nomail.test", { MX: ["0 ."], A: ["127.0.0.1"] });
    const connections = env.mx.connections;
    const before = (await inbox(alice().id)).length;
    const { result } = await send(["x@nomail.test"]);
    await env.worker().runOnce();
    const [row] = await recipientRows(result.messageId);
    expect(row.status).toBe("BOUNCED");
    expect(row.attempts).toBe(1);
    expect(row.last_error).toContain("null MX");
    expect(env.mx.connections).toBe(connections);
    const dsn = (await inbox(alice().id))[before].toString("latin1");
    expect(dsn).toContain("Status: 5.1.10");
  });

  it("bounces a domain that does not exist", async () => {
    const { result } = await send(["x@no-such-domain.test"]);
    await env.worker().runOnce();
    const [row] = await recipientRows(result.messageId);
    expect(row.status).toBe("BOUNCED");
    expect(row.last_error).toContain("NXDOMAIN");
  });

  it("uses the domain's address when it has no MX (implicit MX)", async () => {
    env.dns.set("implicit.test", { A: ["127.0.0.1"] });
    const { result } = await send(["x@implicit.test"]);
    await env.worker().runOnce();
    const [row] = await recipientRows(result.messageId);
    expect(row.status).toBe("DELIVERED");
    expect(row.remote_reply).toMatch(/^implicit\.test\[127\.0\.0\.1\]/);
  });

  it("stops a mail loop by counting Received headers", async () => {
    const hops = Array.from({ length: 31 }, (_, i) => `Received: from hop${i}.test by hop${i + 1}.test; Tue, 03 Feb 2026 10:00:00 +0000`);
    const { result } = await send(["loop@remote.test"], { headers: hops });
    await env.worker().runOnce();
    const [row] = await recipientRows(result.messageId);
    expect(row.status).toBe("BOUNCED");
    expect(row.last_error).toContain("mail loop");
    expect(receivedBy("loop@remote.test")).toHaveLength(0);
  });

  it("never bounces to the null sender", async () => {
    const count = async () => Number((await getPool().query("SELECT count(*) FROM outbound_messages")).rows[0].count);
    const { result } = await send(["gone@remote.test"], { sender: "" });
    const before = await count();
    await env.worker().runOnce();
    expect((await recipientRows(result.messageId))[0].status).toBe("BOUNCED");
    expect(await count()).toBe(before);
  });

  it("sends the DSN for a remote sender back out through the queue with MAIL FROM:<>", async () => {
    env.publishMx("elsewhere.test", [{ host: "mx.elsewhere.test", priority: 10 }]);
    const { result } = await send(["gone@remote.test"], { from: "someone@elsewhere.test", subject: "Forwarded" });
    await env.worker().runOnce();
    expect((await recipientRows(result.messageId))[0].status).toBe("BOUNCED");
    const dsns = receivedBy("someone@elsewhere.test");
    expect(dsns).toHaveLength(1);
    expect(dsns[0].from).toBe("");
    expect(headerValue(dsns[0].raw, "content-type")).toMatch(/^multipart\/report; report-type=delivery-status;/);
    expect(dsns[0].raw.toString("latin1")).toContain("Final-Recipient: rfc822; gone@remote.test");
  });
});

describe("local recipients", () => {
  it("delivers hosted recipients through lib/mail within enqueueMessage", async () => {
    const other = await seedUsers(["carol"]);
    const bob = sender.users.bob;
    const bobBefore = (await inbox(bob.id)).length;
    const { result } = await send([bob.email, other.users.carol.email, "erin@remote.test"], { subject: "Mixed" });
    expect(result.recipients.map((r) => [r.address, r.local, r.status])).toEqual([
      [bob.email, true, "DELIVERED"],
      [other.users.carol.email, true, "DELIVERED"],
      ["erin@remote.test", false, "QUEUED"],
    ]);
    const bobInbox = await inbox(bob.id);
    expect(bobInbox).toHaveLength(bobBefore + 1);
    expect(bobInbox[bobInbox.length - 1].toString()).toContain("Subject: Mixed");
    expect(await inbox(other.users.carol.id)).toHaveLength(1);
    // Local copies are not DKIM-signed or sent over SMTP.
    expect(receivedBy(bob.email)).toHaveLength(0);
    await env.worker().runOnce();
    expect(receivedBy("erin@remote.test")).toHaveLength(1);
  });

  it("gives a user one copy however many of their addresses (aliases on other domains) it names", async () => {
    const bob = sender.users.bob;
    const other = await seedUsers([]);
    await addAlias({ address: `info@${other.domain}`, to: [bob.email] });
    const before = (await inbox(bob.id)).length;
    const { result } = await send([bob.email, `info@${other.domain}`], { subject: "Once for Bob" });
    expect(result.recipients.map((r) => r.status)).toEqual(["DELIVERED", "DELIVERED"]);
    expect(await inbox(bob.id)).toHaveLength(before + 1);
  });

  it("bounces an unknown local user at once with a DSN", async () => {
    const before = (await inbox(alice().id)).length;
    const { result } = await send([`nobody-here@${sender.domain}`]);
    expect(result.recipients[0]).toMatchObject({ local: true, status: "BOUNCED" });
    const messages = await inbox(alice().id);
    expect(messages).toHaveLength(before + 1);
    expect(messages[before].toString("latin1")).toContain("Status: 5.1.1");
  });

  it("keeps a local recipient queued when delivery fails for now (mailbox full), then delivers", async () => {
    const small = await seedUsers(["full"], { quotaBytes: 10 });
    const { result } = await send([small.users.full.email]);
    expect(result.recipients[0]).toMatchObject({ local: true, status: "DEFERRED" });
    let [row] = await recipientRows(result.messageId);
    expect(row.last_error).toContain("mailbox full");
    expect(row.locked_until).toBeNull();

    await getPool().query("UPDATE users SET quota_bytes = 10000000 WHERE id = $1", [small.users.full.id]);
    env.clock.advance(MINUTE);
    await env.worker().runOnce();
    [row] = await recipientRows(result.messageId);
    expect(row.status).toBe("DELIVERED");
    expect(await inbox(small.users.full.id)).toHaveLength(1);
  });

  it("holds scheduled mail until its send time", async () => {
    const bob = sender.users.bob;
    const before = (await inbox(bob.id)).length;
    const raw = rawMessage({ from: alice().email, to: bob.email, subject: "Later" });
    const sendAt = new Date(env.clock.now + 30 * MINUTE);
    const { result } = { result: await enqueueMessage({ sender: alice().email, recipients: [bob.email, "later@remote.test"], raw, source: "web", sendAt }, { ctx: env.ctx }) };
    expect(result.recipients.map((r) => r.status)).toEqual(["QUEUED", "QUEUED"]);
    const worker = env.worker();
    expect(await worker.runOnce()).toBe(0);
    env.clock.advance(30 * MINUTE);
    expect(await worker.runOnce()).toBe(2);
    expect(await inbox(bob.id)).toHaveLength(before + 1);
    expect(receivedBy("later@remote.test")).toHaveLength(1);
  });
});

describe("crash safety and concurrency", () => {
  it("a new relay delivers what a stopped one left deferred", async () => {
    env.mx.rcpt.set("restart@remote.test", (n) => (n === 1 ? { code: 421, text: "4.7.0 come back later" } : null));
    const first = env.worker({ pollMs: 50 });
    first.start();
    const { result } = await send(["restart@remote.test"]);
    await waitFor("the first attempt", async () => (await recipientRows(result.messageId))[0].status === "DEFERRED");
    await first.stop();

    env.clock.advance(2 * MINUTE);
    const second = env.worker({ pollMs: 50 });
    second.start();
    await waitFor("delivery by the second relay", async () => (await recipientRows(result.messageId))[0].status === "DELIVERED");
    await second.stop();
    expect(receivedBy("restart@remote.test")).toHaveLength(1);
  });

  it("a recipient claimed by a relay that died is delivered once its lease runs out", async () => {
    const { result } = await send(["orphan@remote.test"]);
    // A relay claims it and is killed (-9) before doing anything: the lease stays behind.
    const claimed = await claimDueRecipients({ now: env.clock.date(), limit: 100, leaseMs: env.ctx.leaseMs });
    expect(claimed.map((c) => c.address)).toContain("orphan@remote.test");

    const worker = env.worker();
    expect(await worker.runOnce()).toBe(0);
    expect((await recipientRows(result.messageId))[0].status).toBe("QUEUED");

    env.clock.advance(env.ctx.leaseMs + 1000);
    expect(await worker.runOnce()).toBeGreaterThanOrEqual(1);
    const [row] = await recipientRows(result.messageId);
    expect(row.status).toBe("DELIVERED");
    expect(row.attempts).toBe(2);
    expect(receivedBy("orphan@remote.test")).toHaveLength(1);
  });

  it("a local delivery whose outcome was lost is not delivered twice", async () => {
    const bob = sender.users.bob;
    const raw = rawMessage({ from: alice().email, to: bob.email, subject: "Once" });
    const before = (await inbox(bob.id)).length;
    // Scheduled a moment ahead so enqueue leaves it to the relay.
    const { messageId } = await enqueueMessage(
      { sender: alice().email, recipients: [bob.email], raw, source: "web", sendAt: new Date(env.clock.now + 1000) },
      { ctx: env.ctx },
    );
    env.clock.advance(1000);
    // A relay claims it, stores the message, and dies before recording DELIVERED.
    await claimDueRecipients({ now: env.clock.date(), limit: 100, leaseMs: env.ctx.leaseMs });
    const { deliverMessage } = await import("../../lib/mail/deliver.ts");
    await deliverMessage({ raw, targets: [{ userId: bob.id }] });

    env.clock.advance(env.ctx.leaseMs + 1000);
    await env.worker().runOnce();
    const [row] = await recipientRows(messageId);
    expect(row.status).toBe("DELIVERED");
    expect(row.remote_reply).toBe("already in the mailbox");
    expect(await inbox(bob.id)).toHaveLength(before + 1);
  });

  it("two relays racing deliver every recipient exactly once", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) {
      const { result } = await send([`race${i}@remote.test`, `race${i}b@remote.test`], { subject: `Race ${i}` });
      ids.push(result.messageId);
    }
    const a = env.worker({ concurrency: 6 });
    const b = env.worker({ concurrency: 6 });
    const [na, nb] = await Promise.all([a.runOnce(), b.runOnce()]);
    expect(na + nb).toBe(80);
    expect(na).toBeGreaterThan(0);
    expect(nb).toBeGreaterThan(0);
    for (let i = 0; i < 40; i++) {
      expect(receivedBy(`race${i}@remote.test`)).toHaveLength(1);
      expect(receivedBy(`race${i}b@remote.test`)).toHaveLength(1);
    }
    const r = await getPool().query("SELECT status, attempts, count(*)::int AS n FROM outbound_recipients WHERE message_id = ANY($1) GROUP BY 1, 2", [ids]);
    expect(r.rows).toEqual([{ status: "DELIVERED", attempts: 1, n: 80 }]);
  });

  it("two relay loops with LISTEN pick up new mail at once and never deliver twice", async () => {
    const a = env.worker({ listen: true, pollMs: 60_000, concurrency: 4 });
    const b = env.worker({ listen: true, pollMs: 60_000, concurrency: 4 });
    a.start();
    b.start();
    await new Promise((r) => setTimeout(r, 300)); // both LISTENing
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) ids.push((await send([`loop${i}@remote.test`])).result.messageId);
    await waitFor("all delivered", async () => {
      const r = await getPool().query("SELECT count(*)::int AS n FROM outbound_recipients WHERE message_id = ANY($1) AND status = 'DELIVERED'", [ids]);
      return r.rows[0].n === 20;
    });
    await Promise.all([a.stop(), b.stop()]);
    for (let i = 0; i < 20; i++) expect(receivedBy(`loop${i}@remote.test`)).toHaveLength(1);
  });
});
