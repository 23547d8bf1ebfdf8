import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addAlias } from "../../lib/accounts/aliases.ts";
import { setUserDisabled } from "../../lib/accounts/users.ts";
import { createAppPassword } from "../../lib/auth/app-passwords.ts";
import { resetLoginLimits } from "../../lib/auth/rate-limit.ts";
import { getPool } from "../../lib/db/client.ts";
import { parseTopHeaders } from "../../lib/mime/structure.ts";
import { releaseSending, reserveSending } from "../../lib/smtp/submission-rate-limit.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/wait.ts";
import { createRelayTestEnv, inbox, type RelayTestEnv } from "../queue/helpers/env.ts";
import { RawSmtp, type Reply } from "../smtp/helpers/smtp-harness.ts";
import { queuedFor, startSubmission, SUBMISSION_HOSTNAME, type RunningSubmission } from "./helpers.ts";

// Submission (RFC 6409) over real sockets: nodemailer and a raw client against both ports, a real
// Postgres behind, the relay's fake DNS and remote MX for mail leaving Pigeon.

const PASSWORD = "correct horse";
const MAX_SIZE = 128 * 1024;
let env: RelayTestEnv;
let srv: RunningSubmission;
let domain: string;
let users: Record<string, { id: number; email: string }>;
let appPassword: string;

beforeAll(async () => {
  env = await createRelayTestEnv();
  srv = await startSubmission({
    databaseUrl: env.db.url,
    queue: env.worker().ctx,
    maxMessageSize: MAX_SIZE,
    env: { DNS_SERVERS: env.dns.address, OUTBOUND_SMTP_PORT: String(env.mx.port) },
  });
  ({ domain, users } = await seedUsers(["alice", "bob", "carol", "dave"]));
  await addAlias({ address: `team@${domain}`, to: [users.alice.email, users.bob.email] });
  await addAlias({ address: `bobs@${domain}`, to: [users.bob.email] });
  await addAlias({ address: `@${domain}`, to: [users.alice.email] });
  appPassword = (await createAppPassword({ userId: users.alice.id, name: "Thunderbird" })).password;
  env.publishMx("remote.test", [{ host: "mx.remote.test", priority: 10 }]);
});

afterAll(async () => {
  await srv?.close();
  await env?.close();
});

function transport(opts: { port?: "starttls" | "tls"; user?: string; pass?: string; ignoreTLS?: boolean; method?: string } = {}) {
  const implicit = opts.port === "tls";
  return nodemailer.createTransport({
    host: "127.0.0.1",
    port: implicit ? srv.tlsPort : srv.port,
    secure: implicit,
    requireTLS: !implicit && !opts.ignoreTLS,
    ignoreTLS: opts.ignoreTLS,
    name: "client.example",
    tls: { rejectUnauthorized: false, servername: SUBMISSION_HOSTNAME },
    auth: { user: opts.user ?? users.alice.email, pass: opts.pass ?? PASSWORD, method: opts.method },
  });
}

function message(opts: { from?: string; to?: string; subject: string; extra?: string[]; noDate?: boolean; noMessageId?: boolean; body?: string }) {
  return [
    `From: ${opts.from ?? `Alice <${users.alice.email}>`}`,
    `To: ${opts.to ?? users.bob.email}`,
    `Subject: ${opts.subject}`,
    ...(opts.noDate ? [] : ["Date: Tue, 03 Feb 2026 10:00:00 +0000"]),
    ...(opts.noMessageId ? [] : [`Message-ID: <${Math.random().toString(36).slice(2)}@client.example>`]),
    ...(opts.extra ?? []),
    "",
    opts.body ?? "Hello.",
    "",
  ].join("\r\n");
}

async function inboxSubjects(userId: number): Promise<string[]> {
  return (await inbox(userId)).map((raw) => parseTopHeaders(raw).find((h) => h.name === "subject")?.value ?? "");
}

/** A raw session on the STARTTLS port, upgraded and (unless `auth` is false) logged in. */
async function rawSession(opts: { auth?: boolean | { user: string; pass: string }; implicitTls?: boolean } = {}): Promise<RawSmtp> {
  const c = await RawSmtp.connect(opts.implicitTls ? srv.tlsPort : srv.port);
  if (opts.implicitTls) await c.startTls();
  expect((await c.read()).code).toBe(220);
  expect((await c.command("EHLO client.example")).code).toBe(250);
  if (!opts.implicitTls) {
    expect((await c.command("STARTTLS")).code).toBe(220);
    await c.startTls();
    expect((await c.command("EHLO client.example")).code).toBe(250);
  }
  if (opts.auth !== false) {
    const creds = typeof opts.auth === "object" ? opts.auth : { user: users.alice.email, pass: PASSWORD };
    const r = await c.command(`AUTH PLAIN ${Buffer.from(`\0${creds.user}\0${creds.pass}`).toString("base64")}`);
    expect(r.text).toMatch(/^235 2\.7\.0 /);
  }
  return c;
}

async function sendData(c: RawSmtp, data: string): Promise<Reply> {
  expect((await c.command("DATA")).code).toBe(354);
  c.write(data.replace(/\r\n\.(?=\r\n|$)/g, "\r\n..") + "\r\n.\r\n");
  return c.read();
}

describe("TLS before AUTH", () => {
  it("offers STARTTLS but not AUTH in the clear, and refuses AUTH and MAIL with 530 5.7.0", async () => {
    const c = await RawSmtp.connect(srv.port);
    expect((await c.read()).text).toMatch(/^220 submit\.pigeon\.test ESMTP/);
    const ehlo = await c.command("EHLO client.example");
    expect(ehlo.text).toMatch(/STARTTLS/);
    expect(ehlo.text).not.toMatch(/AUTH/);
    expect((await c.command(`AUTH PLAIN ${Buffer.from(`\0${users.alice.email}\0${PASSWORD}`).toString("base64")}`)).text).toBe(
      "530 5.7.0 Must issue a STARTTLS command first",
    );
    expect((await c.command("AUTH LOGIN")).text).toMatch(/^530 5\.7\.0 /);
    expect((await c.command(`MAIL FROM:<${users.alice.email}>`)).text).toMatch(/^530 5\.7\.0 Authentication required/);
    c.close();
  });

  it("offers AUTH PLAIN and LOGIN after STARTTLS, and still wants AUTH before MAIL", async () => {
    const c = await rawSession({ auth: false });
    const ehlo = await c.command("EHLO client.example");
    expect(ehlo.lines).toContain("250-AUTH PLAIN LOGIN");
    expect(ehlo.text).not.toMatch(/STARTTLS/);
    expect((await c.command(`MAIL FROM:<${users.alice.email}>`)).text).toBe("530 5.7.0 Authentication required");
    c.close();
  });

  it("offers AUTH right away on the implicit TLS port", async () => {
    const c = await RawSmtp.connect(srv.tlsPort);
    await c.startTls();
    expect((await c.read()).code).toBe(220);
    const ehlo = await c.command("EHLO client.example");
    expect(ehlo.lines).toContain("250-AUTH PLAIN LOGIN");
    expect(ehlo.text).not.toMatch(/STARTTLS/);
    c.close();
  });

  it("nodemailer without TLS finds no AUTH to use and is refused at MAIL", async () => {
    const err = (await transport({ ignoreTLS: true })
      .sendMail({ envelope: { from: users.alice.email, to: [users.bob.email] }, raw: message({ subject: "cleartext" }) })
      .catch((e: unknown) => e)) as Error & { responseCode?: number; response?: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.response).toMatch(/^530 5\.7\.0 Authentication required/);
    expect(await inboxSubjects(users.bob.id)).not.toContain("cleartext");
  });
});

describe("AUTH", () => {
  it("sends with the account password over STARTTLS (587) to a local user's INBOX", async () => {
    const info = await transport().sendMail({
      from: `Alice <${users.alice.email}>`,
      to: users.bob.email,
      subject: "password over starttls",
      text: "Hi Bob",
    });
    expect(info.response).toMatch(/^250 2\.6\.0 Ok: queued as \d+/);
    expect(info.accepted).toEqual([users.bob.email]);
    // Local recipients are delivered within enqueueMessage, before the 250.
    const [raw] = (await inbox(users.bob.id)).filter((m) => m.includes("password over starttls"));
    const headers = parseTopHeaders(raw);
    expect(headers[0].name).toBe("received");
    expect(headers[0].value).toMatch(/^from client\.example \(\[127\.0\.0\.1\]\) by submit\.pigeon\.test \(Pigeon\) with ESMTPSA id /);
    expect(headers[0].value).toMatch(/\(version=TLSv1\.3 cipher=/);
    expect(headers.filter((h) => h.name === "message-id")).toHaveLength(1);
    expect(headers.find((h) => h.name === "message-id")!.value).toBe(info.messageId);
    // The server does not file a copy in the sender's Sent (clients do).
    const sent = await getPool().query("SELECT 1 FROM messages WHERE user_id = $1", [users.alice.id]);
    expect(sent.rowCount).toBe(0);
    const rows = (await queuedFor(users.alice.id)).filter((r) => r.address === users.bob.email);
    expect(rows.at(-1)).toMatchObject({ sender: users.alice.email, source: "submission", status: "DELIVERED" });
  });

  it("sends with an app password over implicit TLS (465), AUTH PLAIN and AUTH LOGIN", async () => {
    for (const method of ["PLAIN", "LOGIN"]) {
      const info = await transport({ port: "tls", pass: appPassword, method }).sendMail({
        envelope: { from: users.alice.email, to: [users.bob.email] },
        raw: message({ subject: `app password ${method}` }),
      });
      expect(info.response).toMatch(/^250 /);
    }
    expect(await inboxSubjects(users.bob.id)).toEqual(expect.arrayContaining(["app password PLAIN", "app password LOGIN"]));
    const used = await getPool().query("SELECT last_used_at FROM app_passwords WHERE user_id = $1", [users.alice.id]);
    expect(used.rows[0].last_used_at).not.toBeNull();
  });

  it("sends with an app password over STARTTLS with AUTH LOGIN", async () => {
    const info = await transport({ pass: appPassword, method: "LOGIN" }).sendMail({
      envelope: { from: users.alice.email, to: [users.bob.email] },
      raw: message({ subject: "app password starttls" }),
    });
    expect(info.response).toMatch(/^250 /);
    expect(await inboxSubjects(users.bob.id)).toContain("app password starttls");
  });

  it("refuses a wrong password with 535 5.7.8", async () => {
    const err = (await transport({ pass: "wrong horse" })
      .sendMail({ envelope: { from: users.alice.email, to: [users.bob.email] }, raw: message({ subject: "wrong" }) })
      .catch((e: unknown) => e)) as Error & { responseCode?: number; response?: string };
    expect(err.responseCode).toBe(535);
    expect(err.response).toMatch(/^535 5\.7\.8 Authentication credentials invalid/);
    await resetLoginLimits({ ip: "127.0.0.1", account: users.alice.email });
  });

  it("refuses a disabled account and an authorization identity other than the login", async () => {
    await setUserDisabled({ email: users.dave.email, disabled: true });
    const c = await rawSession({ auth: false });
    const r = await c.command(`AUTH PLAIN ${Buffer.from(`\0${users.dave.email}\0${PASSWORD}`).toString("base64")}`);
    expect(r.text).toMatch(/^535 5\.7\.8 /);
    const proxy = await c.command(`AUTH PLAIN ${Buffer.from(`${users.bob.email}\0${users.alice.email}\0${PASSWORD}`).toString("base64")}`);
    expect(proxy.text).toMatch(/^535 5\.7\.8 /);
    c.close();
  });
});

describe("sender addresses", () => {
  it("refuses an envelope sender the user does not own with 550 5.7.1", async () => {
    const c = await rawSession();
    for (const from of [users.bob.email, `bobs@${domain}`, "someone@remote.test", `nobody@${domain}`]) {
      expect((await c.command(`MAIL FROM:<${from}>`)).text, from).toMatch(/^550 5\.7\.1 .*not owned by/);
    }
    c.close();
  });

  it("refuses a From: header the user does not own with 550 5.7.1 after DATA, and queues nothing", async () => {
    const before = (await queuedFor(users.alice.id)).length;
    const spoofs = [
      `Bob <${users.bob.email}>`,
      `"${users.alice.email}" <${users.bob.email}>`,
      `${users.alice.email}, ${users.bob.email}`,
      `${users.alice.email} ${users.bob.email}`,
      "ceo@remote.test",
    ];
    for (const from of spoofs) {
      const c = await rawSession();
      expect((await c.command(`MAIL FROM:<${users.alice.email}>`)).code).toBe(250);
      expect((await c.command(`RCPT TO:<${users.carol.email}>`)).code).toBe(250);
      const r = await sendData(c, message({ from, to: users.carol.email, subject: "spoof" }));
      expect(r.text, from).toMatch(/^550 5\.7\.1 Message refused: From address <.*> not owned by /);
      c.close();
    }
    const c = await rawSession();
    await c.command(`MAIL FROM:<${users.alice.email}>`);
    await c.command(`RCPT TO:<${users.carol.email}>`);
    const sender = await sendData(c, message({ to: users.carol.email, subject: "spoof sender", extra: [`Sender: ${users.bob.email}`] }));
    expect(sender.text).toMatch(/^550 5\.7\.1 .*Sender address/);
    await c.command(`MAIL FROM:<${users.alice.email}>`);
    await c.command(`RCPT TO:<${users.carol.email}>`);
    const none = await sendData(c, "Subject: no from\r\n\r\nHello.\r\n");
    expect(none.text).toMatch(/^550 5\.6\.0 .*no From header/);
    c.close();
    expect(await queuedFor(users.alice.id)).toHaveLength(before);
    expect(await inboxSubjects(users.carol.id)).not.toContain("spoof");
  });

  it("accepts an alias the user is a target of, a sub-address, and the null sender", async () => {
    const team = `team@${domain}`;
    const info = await transport().sendMail({
      envelope: { from: team, to: [users.carol.email] },
      raw: message({ from: `The Team <${team}>`, to: users.carol.email, subject: "from the alias" }),
    });
    expect(info.response).toMatch(/^250 /);
    // bob is a target of team@ too
    const bob = await transport({ user: users.bob.email }).sendMail({
      envelope: { from: `bobs@${domain}`, to: [users.carol.email] },
      raw: message({ from: `team@${domain}`, to: users.carol.email, subject: "bob as the alias" }),
    });
    expect(bob.response).toMatch(/^250 /);
    const plus = users.alice.email.replace("@", "+news@");
    await transport().sendMail({ envelope: { from: plus, to: [users.carol.email] }, raw: message({ from: plus, to: users.carol.email, subject: "sub-address" }) });
    const c = await rawSession();
    expect((await c.command("MAIL FROM:<>")).code).toBe(250);
    expect((await c.command(`RCPT TO:<${users.carol.email}>`)).code).toBe(250);
    expect((await sendData(c, message({ to: users.carol.email, subject: "null sender" }))).code).toBe(250);
    c.close();
    expect(await inboxSubjects(users.carol.id)).toEqual(expect.arrayContaining(["from the alias", "bob as the alias", "sub-address", "null sender"]));
  });

  it("does not let a catch-all target send as any address of the domain", async () => {
    const c = await rawSession();
    expect((await c.command(`MAIL FROM:<random@${domain}>`)).text).toMatch(/^550 5\.7\.1 /);
    c.close();
  });
});

describe("messages", () => {
  it("adds a Message-ID and a Date when the client sent none", async () => {
    const c = await rawSession();
    await c.command(`MAIL FROM:<${users.alice.email}>`);
    await c.command(`RCPT TO:<${users.carol.email}>`);
    const r = await sendData(c, message({ to: users.carol.email, subject: "bare message", noDate: true, noMessageId: true }));
    expect(r.code).toBe(250);
    c.close();
    const [raw] = (await inbox(users.carol.id)).filter((m) => m.includes("bare message"));
    const headers = parseTopHeaders(raw);
    expect(headers.map((h) => h.name).slice(0, 3)).toEqual(["received", "date", "message-id"]);
    expect(headers.find((h) => h.name === "message-id")!.value).toMatch(/^<[0-9a-f-]{36}@submit\.pigeon\.test>$/);
    expect(new Date(headers.find((h) => h.name === "date")!.value).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("refuses an unknown local recipient at RCPT and takes several recipients in one transaction", async () => {
    const c = await rawSession();
    await c.command(`MAIL FROM:<${users.alice.email}>`);
    expect((await c.command(`RCPT TO:<nobody@d-unknown.${domain}>`)).code).toBe(250); // not hosted: remote
    await c.command("RSET");
    await c.command(`MAIL FROM:<${users.alice.email}>`);
    // A catch-all exists in this domain, so use one with none.
    const other = await seedUsers(["erin"]);
    expect((await c.command(`RCPT TO:<nobody@${other.domain}>`)).text).toMatch(/^550 5\.1\.1 /);
    expect((await c.command(`RCPT TO:<${other.users.erin.email}>`)).code).toBe(250);
    expect((await c.command(`RCPT TO:<${users.carol.email}>`)).code).toBe(250);
    expect((await sendData(c, message({ to: `${other.users.erin.email}, ${users.carol.email}`, subject: "two users" }))).code).toBe(250);
    c.close();
    expect(await inboxSubjects(other.users.erin.id)).toContain("two users");
    expect(await inboxSubjects(users.carol.id)).toContain("two users");
  });

  it("refuses a message over MAX_MESSAGE_SIZE with 552 5.3.4 while it streams", async () => {
    const c = await rawSession();
    await c.command(`MAIL FROM:<${users.alice.email}>`);
    await c.command(`RCPT TO:<${users.carol.email}>`);
    const r = await sendData(c, message({ to: users.carol.email, subject: "too big", body: ("z".repeat(998) + "\r\n").repeat(200) }));
    expect(r.text).toMatch(/^552 5\.3\.4 /);
    // The session goes on.
    expect((await c.command("NOOP")).code).toBe(250);
    c.close();
    expect(await inboxSubjects(users.carol.id)).not.toContain("too big");
  });

  it("refuses bare LF in DATA (no smuggling through the relay)", async () => {
    const c = await rawSession();
    await c.command(`MAIL FROM:<${users.alice.email}>`);
    await c.command(`RCPT TO:<${users.carol.email}>`);
    const r = await sendData(c, message({ to: users.carol.email, subject: "smuggle", body: "a\n.\nMAIL FROM:<x@y>\r\nb" }));
    expect(r.text).toMatch(/^554 5\.6\.0 /);
    c.close();
  });
});

describe("remote recipients", () => {
  it("queues a remote recipient durably before the 250, and the relay delivers it", async () => {
    const info = await transport().sendMail({
      from: users.alice.email,
      to: ["friend@remote.test", users.carol.email],
      subject: "to the outside",
      text: "Hello out there",
    });
    expect(info.response).toMatch(/^250 /);
    const rows = (await queuedFor(users.alice.id)).filter((r) => r.message_id === Number(/queued as (\d+)/.exec(info.response)![1]));
    expect(rows.map((r) => [r.address, r.status])).toEqual([
      ["friend@remote.test", "QUEUED"],
      [users.carol.email, "DELIVERED"],
    ]);
    expect(rows[0]).toMatchObject({ sender: users.alice.email, source: "submission" });

    await env.worker().runOnce();
    const mail = await waitFor("the remote MX", async () => env.mx.received.find((m) => m.to.includes("friend@remote.test")));
    expect(mail.from).toBe(users.alice.email);
    expect(mail.raw.toString("latin1")).toMatch(/with ESMTPSA id /);
    const after = await getPool().query("SELECT status::text FROM outbound_recipients WHERE address = 'friend@remote.test'");
    expect(after.rows[0].status).toBe("DELIVERED");
  });
});

describe("sending limit", () => {
  it("counts recipients per user in Postgres and answers 451 4.7.1 past the limit", async () => {
    const limited = await startSubmission({
      databaseUrl: env.db.url,
      queue: env.worker().ctx,
      limits: { sending: { recipients: 3, windowSeconds: 3600 } },
    });
    try {
      const { users: u } = await seedUsers(["frank", "gina"]);
      const send = (to: string[]) =>
        nodemailer
          .createTransport({
            host: "127.0.0.1",
            port: limited.port,
            requireTLS: true,
            tls: { rejectUnauthorized: false },
            auth: { user: u.frank.email, pass: PASSWORD },
          })
          .sendMail({ envelope: { from: u.frank.email, to }, raw: message({ from: u.frank.email, to: to.join(", "), subject: "limited" }) });
      expect((await send([u.gina.email, users.carol.email])).accepted).toHaveLength(2);
      // One more fits; the second recipient of this message does not.
      const partly = await send([u.gina.email, users.bob.email]);
      expect(partly.accepted).toEqual([u.gina.email]);
      const rejected = (partly as { rejectedErrors?: { response: string }[] }).rejectedErrors;
      expect(rejected?.[0].response).toMatch(/^451 4\.7\.1 Sending limit reached: at most 3 recipients per 60 minutes; try again in \d+ minutes/);
      const refused = (await send([u.gina.email]).catch((e: unknown) => e)) as Error & { response?: string };
      expect(refused.response).toMatch(/^451 4\.7\.1 Sending limit reached/);
      const row = await getPool().query("SELECT count FROM rate_limits WHERE key = $1", [`send:${u.frank.id}`]);
      expect(row.rows[0].count).toBe(3);
      expect(await inboxSubjects(u.gina.id)).toEqual(["limited", "limited"]);

      // Parallel sessions of one user cannot pass the limit together.
      const limit = { recipients: 5, windowSeconds: 3600 };
      const results = await Promise.all(Array.from({ length: 12 }, () => reserveSending({ userId: u.gina.id, recipients: 1, limit })));
      expect(results.filter((r) => r.ok)).toHaveLength(5);
      await releaseSending({ userId: u.gina.id, recipients: 2 });
      expect((await reserveSending({ userId: u.gina.id, recipients: 2, limit })).ok).toBe(true);
      expect(await reserveSending({ userId: u.gina.id, recipients: 1, limit })).toMatchObject({ ok: false, used: 5 });
    } finally {
      await limited.close();
    }
  });
});

describe("250 only after commit", () => {
  it("answers 451 4.3.0 when the queue cannot commit, keeps nothing and gives the sending count back", async () => {
    const ctx = env.worker().ctx;
    // An expiry Postgres cannot store makes the queue's transaction fail and roll back.
    const broken = await startSubmission({ databaseUrl: env.db.url, queue: { ...ctx, config: { ...ctx.config, queueLifetimeHours: Number.NaN } } });
    const errors: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      const { users: u } = await seedUsers(["hank"]);
      const err = (await nodemailer
        .createTransport({ host: "127.0.0.1", port: broken.tlsPort, secure: true, tls: { rejectUnauthorized: false }, auth: { user: u.hank.email, pass: PASSWORD } })
        .sendMail({ envelope: { from: u.hank.email, to: [users.carol.email] }, raw: message({ from: u.hank.email, to: users.carol.email, subject: "not committed" }) })
        .catch((e: unknown) => e)) as Error & { response?: string };
      expect(err.response).toMatch(/^451 4\.3\.0 /);
      expect(errors).toHaveLength(1); // logged with context
      expect(await queuedFor(u.hank.id)).toEqual([]);
      expect(await inboxSubjects(users.carol.id)).not.toContain("not committed");
      const row = await getPool().query("SELECT count FROM rate_limits WHERE key = $1", [`send:${u.hank.id}`]);
      expect(row.rows[0].count).toBe(0);
    } finally {
      console.error = consoleError;
      await broken.close();
    }
  });

  it("stops a logged-in session once the account is disabled", async () => {
    const { users: u } = await seedUsers(["ivan"]);
    const c = await rawSession({ auth: { user: u.ivan.email, pass: PASSWORD } });
    await setUserDisabled({ email: u.ivan.email, disabled: true });
    expect((await c.command(`MAIL FROM:<${u.ivan.email}>`)).text).toMatch(/^550 5\.7\.1 /);
    c.close();
  });
});

describe("failed-login limiter", () => {
  it("refuses the 11th failure from one address within a minute, and then even the right password", async () => {
    await resetLoginLimits({ ip: "127.0.0.1" });
    try {
      const c = await rawSession({ auth: false });
      const codes: string[] = [];
      for (let i = 1; i <= 11; i++) {
        const r = await c.command(`AUTH PLAIN ${Buffer.from(`\0guess${i}@${domain}\0nope`).toString("base64")}`);
        codes.push(r.text.slice(0, 9));
        if (r.code === 421) break;
      }
      expect(codes).toEqual([...Array(10).fill("535 5.7.8"), "421 4.7.0"]);
      expect(await c.closedByServer()).toBe(true);

      const again = await rawSession({ auth: false });
      const r = await again.command(`AUTH PLAIN ${Buffer.from(`\0${users.alice.email}\0${PASSWORD}`).toString("base64")}`);
      expect(r.text).toMatch(/^421 4\.7\.0 Too many failed logins from your address\. Try again in \d+ s\./);
      again.close();
    } finally {
      await resetLoginLimits({ ip: "127.0.0.1" });
    }
    // Once the limit is lifted, the right password works again.
    const ok = await rawSession();
    ok.close();
  });
});
