import { generateKeyPairSync } from "node:crypto";
import { dkimSign, sealMessage, type ARCSealOptions, type DKIMSignOptions } from "mailauth";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "../../lib/db/client.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { startTestDns, type TestDns } from "../helpers/test-dns.ts";
import { headerLines, message, MX_HOSTNAME, openTransaction, startInbound, storedMessages, type RunningInbound } from "./helpers/smtp-harness.ts";

// SPF, DKIM, DMARC and ARC as the MX sees them: every record served by a DNS server on
// 127.0.0.1 that DNS_SERVERS points at, every message sent over a real socket.

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const publicB64 = publicKey.export({ type: "spki", format: "der" }).toString("base64");

let db: TestDatabase;
let dns: TestDns;
let mx: RunningInbound;
let users: Record<string, { id: number; email: string }>;

beforeAll(async () => {
  db = await createTestDatabase();
  dns = await startTestDns({
    // Signs with DKIM, sends from anywhere, and asks receivers to reject what fails.
    "sel._domainkey.signed.example": { TXT: [`v=DKIM1; k=rsa; p=${publicB64}`] },
    "signed.example": { TXT: ["v=spf1 -all"] },
    "_dmarc.signed.example": { TXT: ["v=DMARC1; p=reject"] },
    // Sends only from 192.0.2.1, no DKIM; DMARC reject or quarantine.
    "strict.example": { TXT: ["v=spf1 ip4:192.0.2.1 -all"] },
    "_dmarc.strict.example": { TXT: ["v=DMARC1; p=reject; rua=mailto:d@strict.example"] },
    "quarantine.example": { TXT: ["v=spf1 ip4:192.0.2.1 -all"] },
    "_dmarc.quarantine.example": { TXT: ["v=DMARC1; p=quarantine"] },
    // A mailing list that ARC-seals what it forwards.
    "sel._domainkey.lists.example": { TXT: [`v=DKIM1; k=rsa; p=${publicB64}`] },
    "lists.example": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
    // Sends from 127.0.0.1 with SPF.
    "spf-ok.example": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
    "_dmarc.spf-ok.example": { TXT: ["v=DMARC1; p=reject"] },
  });
  mx = await startInbound({ dns });
  ({ users } = await seedUsers(["alice", "bob"]));
});

afterAll(async () => {
  await mx?.close();
  await dns?.close();
  await db?.drop();
});

function transport(dkim?: { domainName: string; keySelector: string; privateKey: string }) {
  return nodemailer.createTransport({
    host: "127.0.0.1",
    port: mx.port,
    secure: false,
    name: "client.example",
    tls: { rejectUnauthorized: false },
    dkim,
  });
}

function authResults(raw: string): string {
  return headerLines(raw).find((h) => h.startsWith(`Authentication-Results: ${MX_HOSTNAME};`)) ?? "";
}

async function latest(userId: number, subject: string) {
  const found = (await storedMessages(userId)).filter((m) => m.raw.includes(`Subject: ${subject}\r\n`));
  expect(found).toHaveLength(1);
  return found[0];
}

describe("DKIM", () => {
  it("verifies a message signed with nodemailer's DKIM option as pass, and DMARC passes by alignment", async () => {
    const info = await transport({ domainName: "signed.example", keySelector: "sel", privateKey: privatePem }).sendMail({
      from: "news@signed.example",
      to: users.alice.email,
      subject: "signed",
      text: "This message carries a DKIM signature.",
    });
    expect(info.response).toMatch(/^250 /);
    const m = await latest(users.alice.id, "signed");
    expect(m.mailbox).toBe("INBOX");
    const ar = authResults(m.raw);
    expect(ar).toMatch(/dkim=pass header\.i=@signed\.example header\.s=sel /);
    expect(ar).toMatch(/spf=fail /);
    expect(ar).toMatch(/dmarc=pass /);
    expect(headerLines(m.raw).some((h) => /^Received-SPF: fail/.test(h))).toBe(true);
    expect(dns.queries.length).toBeGreaterThan(0);
  });

  it("records a signature broken in transit as dkim=fail", async () => {
    const raw = message({ from: "news@signed.example", to: users.bob.email, subject: "tampered", body: "Original text." });
    // mailauth's typings describe an older option shape; the signer reads `signatureData`.
    const signOptions = { signatureData: [{ signingDomain: "signed.example", selector: "sel", privateKey: privatePem }] };
    const signed = await dkimSign(raw, signOptions as unknown as DKIMSignOptions);
    const tampered = signed.signatures + raw.replace("Original text.", "Altered text!");
    // DMARC p=reject makes this a refusal; the point here is the DKIM verdict, so use a domain
    // without DMARC to see it stored: re-sign as spf-ok.example, which publishes none for DKIM.
    const c = await openTransaction(mx.port, "news@spf-ok.example", [users.bob.email]);
    expect((await c.command("DATA")).code).toBe(354);
    c.write(tampered.replace("From: news@signed.example", "From: news@spf-ok.example") + ".\r\n");
    expect((await c.read()).code).toBe(250);
    c.close();
    const ar = authResults((await latest(users.bob.id, "tampered")).raw);
    expect(ar).toMatch(/dkim=(fail|neutral)/);
    expect(ar).toMatch(/spf=pass [^;]*smtp\.mailfrom=news@spf-ok\.example/);
    expect(ar).toMatch(/dmarc=pass/);
  });
});

describe("ARC", () => {
  it("verifies a sealed chain as arc=pass", async () => {
    const raw = message({ from: "member@origin.example", to: "list@lists.example", subject: "via list" });
    const seal = await sealMessage(raw, {
      signingDomain: "lists.example",
      selector: "sel",
      privateKey: privatePem,
      authResults: "lists.example; spf=pass smtp.mailfrom=member@origin.example",
      cv: "none",
    } as ARCSealOptions);
    const c = await openTransaction(mx.port, "list-bounces@lists.example", [users.alice.email]);
    expect((await c.command("DATA")).code).toBe(354);
    c.write(seal.toString() + raw + ".\r\n");
    expect((await c.read()).code).toBe(250);
    c.close();
    const ar = authResults((await latest(users.alice.id, "via list")).raw);
    expect(ar).toMatch(/arc=pass \(i=1/);
    expect(ar).toMatch(/spf=pass /);
  });
});

describe("DMARC", () => {
  it("refuses a p=reject failure with 550 5.7.1 and stores nothing", async () => {
    const c = await openTransaction(mx.port, "ceo@strict.example", [users.alice.email]);
    expect((await c.command("DATA")).code).toBe(354);
    c.write(message({ from: "CEO <ceo@strict.example>", to: users.alice.email, subject: "wire transfer" }) + ".\r\n");
    const r = await c.read();
    expect(r.text).toMatch(/^550 5\.7\.1 .*DMARC/);
    c.close();
    expect((await storedMessages(users.alice.id)).some((m) => m.raw.includes("wire transfer"))).toBe(false);
  });

  it("refuses a p=reject failure sent by nodemailer", async () => {
    const err = await transport()
      .sendMail({ from: "ceo@strict.example", to: users.alice.email, subject: "nm reject", text: "x" })
      .catch((e: Error & { responseCode?: number; response?: string }) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { responseCode?: number }).responseCode).toBe(550);
    expect((err as { response?: string }).response).toMatch(/5\.7\.1/);
  });

  it("delivers a p=quarantine failure to Junk", async () => {
    await transport().sendMail({ from: "promo@quarantine.example", to: users.bob.email, subject: "quarantined", text: "x" });
    const m = await latest(users.bob.id, "quarantined");
    expect(m.mailbox).toBe("Junk");
    expect(authResults(m.raw)).toMatch(/dmarc=fail .*p=QUARANTINE/);
  });

  it("passes SPF-aligned mail from a p=reject domain", async () => {
    await transport().sendMail({ from: "billing@spf-ok.example", to: users.bob.email, subject: "spf aligned", text: "x" });
    const m = await latest(users.bob.id, "spf aligned");
    expect(m.mailbox).toBe("INBOX");
    expect(authResults(m.raw)).toMatch(/spf=pass .*dmarc=pass/);
  });
});

describe("Authentication-Results", () => {
  it("drops fields forged under our authserv-id and keeps everyone else's", async () => {
    const c = await openTransaction(mx.port, "x@remote.example", [users.alice.email]);
    expect((await c.command("DATA")).code).toBe(354);
    c.write(
      message({
        from: "x@remote.example",
        to: users.alice.email,
        subject: "forged results",
        extraHeaders: [
          `Authentication-Results: ${MX_HOSTNAME.toUpperCase()}; dkim=pass header.d=bank.example`,
          "Authentication-Results: upstream.example; spf=pass",
        ],
      }) + ".\r\n",
    );
    expect((await c.read()).code).toBe(250);
    c.close();
    const headers = headerLines((await latest(users.alice.id, "forged results")).raw);
    const ours = headers.filter((h) => h.toLowerCase().startsWith(`authentication-results: ${MX_HOSTNAME};`));
    expect(ours).toHaveLength(1);
    expect(ours[0]).not.toContain("bank.example");
    expect(headers).toContain("Authentication-Results: upstream.example; spf=pass");
  });
});

describe("failures", () => {
  it("answers 451 4.3.0 on an unexpected error and leaves nothing partial", async () => {
    const pair = await seedUsers(["first", "broken"]);
    // The second user's Junk is gone, so a quarantined message cannot be filed for them.
    await getPool().query("DELETE FROM mailboxes WHERE user_id = $1 AND special_use = '\\Junk'", [pair.users.broken.id]);
    const c = await openTransaction(mx.port, "promo@quarantine.example", [pair.users.first.email, pair.users.broken.email]);
    expect((await c.command("DATA")).code).toBe(354);
    c.write(message({ from: "promo@quarantine.example", to: "x", subject: "half" }) + ".\r\n");
    expect((await c.read()).text).toMatch(/^451 4\.3\.0 /);
    c.close();
    expect(await storedMessages(pair.users.first.id)).toHaveLength(0);
    expect((await getPool().query("SELECT 1 FROM blobs WHERE subject = 'half'")).rowCount).toBe(0);
  });
});
