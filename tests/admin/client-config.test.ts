import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getClientSettings } from "../../lib/accounts/client-settings.ts";
import { addDomain } from "../../lib/accounts/domains.ts";
import { parseByteSize, formatBytes } from "../../lib/admin/bytes.ts";
import { autoconfigXml, escapeXml, findHostedDomain, mobileconfigXml, parseAutodiscoverRequest } from "../../lib/admin/client-config.ts";
import { parseConfig } from "../../lib/config.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

// What mail clients are told: hostnames, public ports, security; and the documents that carry it.

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await addDomain({ name: "hosted.test" });
});

afterAll(async () => {
  await db?.drop();
});

describe("client ports", () => {
  it("shows the standard ports for a real host name, whatever the servers listen on", () => {
    const config = parseConfig({ MAIL_HOSTNAME: "mail.example.com", IMAPS_PORT: "10993" });
    const s = getClientSettings(config, {});
    expect([s.imaps, s.imap, s.pop3s, s.pop3, s.smtps, s.submission].map((e) => `${e.protocol} ${e.hostname}:${e.port} ${e.security}`)).toEqual([
      "imap mail.example.com:993 tls",
      "imap mail.example.com:143 starttls",
      "pop3 mail.example.com:995 tls",
      "pop3 mail.example.com:110 starttls",
      "smtp mail.example.com:465 tls",
      "smtp mail.example.com:587 starttls",
    ]);
  });

  it("shows the listening ports on a laptop (MAIL_HOSTNAME localhost), and PUBLIC_*_PORT wins everywhere", () => {
    const local = getClientSettings(parseConfig({}), {});
    expect([local.imaps.port, local.submission.port]).toEqual([2993, 2587]);
    const s = getClientSettings(parseConfig({ MAIL_HOSTNAME: "mail.example.com." }), { PUBLIC_IMAPS_PORT: "8993", PUBLIC_SUBMISSION_PORT: " ", OTHER: "x" });
    expect(s.hostname).toBe("mail.example.com");
    expect([s.imaps.port, s.submission.port]).toEqual([8993, 587]);
    expect(() => getClientSettings(parseConfig({}), { PUBLIC_IMAPS_PORT: "99999" })).toThrow(/PUBLIC_IMAPS_PORT/);
  });
});

describe("client documents", () => {
  it("finds the hosted domain from an address or an autoconfig host name", async () => {
    expect(await findHostedDomain({ emailAddress: "Joe@Hosted.Test" })).toBe("hosted.test");
    expect(await findHostedDomain({ emailAddress: "joe@elsewhere.test" })).toBeNull();
    expect(await findHostedDomain({ emailAddress: "not an address" })).toBeNull();
    expect(await findHostedDomain({ host: "autoconfig.hosted.test:443" })).toBe("hosted.test");
    expect(await findHostedDomain({ host: "hosted.test" })).toBeNull();
  });

  it("escapes what it puts in XML", () => {
    expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
    const plist = mobileconfigXml({ email: "joe@hosted.test", displayName: "Joe <Boss> & Co" });
    expect(plist).toContain("<string>Joe &lt;Boss&gt; &amp; Co</string>");
    // Stable identifiers: installing the profile again replaces it.
    expect(plist).toBe(mobileconfigXml({ email: "joe@hosted.test", displayName: "Joe <Boss> & Co" }));
    expect(plist).toMatch(/<key>PayloadUUID<\/key>\s*<string>[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}<\/string>/);
    expect(autoconfigXml({ domain: "hosted.test" })).toContain('<emailProvider id="hosted.test">');
  });

  it("reads the address out of an autodiscover request, namespaced or not", () => {
    expect(parseAutodiscoverRequest("<Request><EMailAddress> a@b.test </EMailAddress></Request>")).toBe("a@b.test");
    expect(parseAutodiscoverRequest("<a:Request><a:EMailAddress>x@y.test</a:EMailAddress></a:Request>")).toBe("x@y.test");
    expect(parseAutodiscoverRequest("<Request/>")).toBeNull();
  });
});

describe("sizes", () => {
  it("parses and prints quotas", () => {
    expect(parseByteSize("10G")).toBe(10 * 1024 ** 3);
    expect(parseByteSize("1.5 GiB")).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize("500m")).toBe(500 * 1024 ** 2);
    expect(parseByteSize("4096")).toBe(4096);
    expect(() => parseByteSize("-1G")).toThrow();
    expect(() => parseByteSize("0")).toThrow();
    expect(() => parseByteSize("10 parsecs")).toThrow();
    expect(formatBytes(10 * 1024 ** 3)).toBe("10 GiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
  });
});
