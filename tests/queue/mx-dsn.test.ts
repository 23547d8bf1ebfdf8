import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDsn, enhancedStatus } from "../../lib/smtp/dsn.ts";
import { cachedMxDns, createMxDns, lookupHostAddresses, lookupMailHosts, MxLookupError, orderMxRecords } from "../../lib/smtp/mx.ts";
import { startTestDns, type TestDns } from "../helpers/test-dns.ts";

// MX lookup (RFC 5321 §5.1, RFC 7505) through a real resolver pointed at a DNS server on
// 127.0.0.1, and the DSN format (RFC 3464).

let dns: TestDns;
beforeAll(async () => {
  dns = await startTestDns();
});
afterAll(async () => {
  await dns.close();
});

function seq(...values: number[]) {
  let i = 0;
  return () => values[i++ % values.length];
}

async function lookupError(p: Promise<unknown>): Promise<MxLookupError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MxLookupError);
  return err as MxLookupError;
}

describe("MX ordering", () => {
  it("sorts by preference and shuffles equal preferences", () => {
    const records = [
      { exchange: "c.example", priority: 20 },
      { exchange: "a.example", priority: 10 },
      { exchange: "b.example", priority: 10 },
      { exchange: "B.example.", priority: 10 },
    ];
    expect(orderMxRecords(records, () => 0.99).map((h) => h.host)).toEqual(["a.example", "b.example", "c.example"]);
    expect(orderMxRecords(records, () => 0).map((h) => h.host)).toEqual(["b.example", "a.example", "c.example"]);
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add(orderMxRecords(records).map((h) => h.host).join(","));
    expect(seen).toEqual(new Set(["a.example,b.example,c.example", "b.example,a.example,c.example"]));
  });
});

describe("MX lookup through DNS_SERVERS", () => {
  it("returns MX hosts by preference and their addresses", async () => {
    dns.set("ex.test", { MX: ["20 mx2.ex.test", "10 mx1.ex.test"] });
    dns.set("mx1.ex.test", { A: ["192.0.2.1"], AAAA: ["2001:db8::1"] });
    const resolver = createMxDns([dns.address]);
    expect(await lookupMailHosts("EX.test.", { dns: resolver, random: seq(0) })).toEqual([
      { host: "mx1.ex.test", preference: 10, implicit: false },
      { host: "mx2.ex.test", preference: 20, implicit: false },
    ]);
    expect(await lookupHostAddresses("mx1.ex.test", resolver)).toEqual(["192.0.2.1", "2001:db8::1"]);
    expect((await lookupError(lookupHostAddresses("mx2.ex.test", resolver))).permanent).toBe(true);
  });

  it("falls back to the domain's own address records (implicit MX)", async () => {
    dns.set("implicit.test", { AAAA: ["2001:db8::2"] });
    expect(await lookupMailHosts("implicit.test", { dns: createMxDns([dns.address]) })).toEqual([{ host: "implicit.test", preference: 0, implicit: true }]);
  });

  it("fails permanently for a null MX, a missing domain, or a domain without MX and addresses", async () => {
    const resolver = createMxDns([dns.address]);
    dns.set("null.test", { MX: ["0 ."], A: ["192.0.2.9"] });
    const nullMx = await lookupError(lookupMailHosts("null.test", { dns: resolver }));
    expect(nullMx).toMatchObject({ permanent: true, status: "5.1.10" });
    expect((await lookupError(lookupMailHosts("nxdomain.test", { dns: resolver }))).permanent).toBe(true);
    dns.set("empty.test", { TXT: ["v=spf1 -all"] });
    expect(await lookupError(lookupMailHosts("empty.test", { dns: resolver }))).toMatchObject({ permanent: true, status: "5.1.2" });
  });

  it("ignores a null MX next to real ones", async () => {
    dns.set("mixed.test", { MX: ["0 .", "10 mx.mixed.test"] });
    expect((await lookupMailHosts("mixed.test", { dns: createMxDns([dns.address]) })).map((h) => h.host)).toEqual(["mx.mixed.test"]);
  });

  it("fails temporarily when DNS cannot answer", async () => {
    dns.servfail("broken.test");
    const err = await lookupError(lookupMailHosts("broken.test", { dns: createMxDns([dns.address], { timeoutMs: 500, tries: 1 }) }));
    expect(err.permanent).toBe(false);
    // A resolver nobody answers on: timeouts are temporary too.
    const silent = createMxDns(["127.0.0.1:9"], { timeoutMs: 200, tries: 1 });
    expect((await lookupError(lookupMailHosts("ex.test", { dns: silent }))).permanent).toBe(false);
  });
});

describe("DNS answer cache", () => {
  it("reuses answers for its lifetime and never keeps failures", async () => {
    let now = 0;
    const resolver = cachedMxDns(createMxDns([dns.address]), 60_000, () => now);
    dns.set("cache.test", { A: ["192.0.2.10"] });
    expect(await resolver.resolve4("cache.test")).toEqual(["192.0.2.10"]);
    dns.set("cache.test", { A: ["192.0.2.11"] });
    expect(await resolver.resolve4("cache.test")).toEqual(["192.0.2.10"]);
    now += 60_001;
    expect(await resolver.resolve4("cache.test")).toEqual(["192.0.2.11"]);
    await expect(resolver.resolve4("uncached.test")).rejects.toMatchObject({ code: "ENOTFOUND" });
    dns.set("uncached.test", { A: ["192.0.2.12"] });
    expect(await resolver.resolve4("uncached.test")).toEqual(["192.0.2.12"]);
  });
});

describe("DSN", () => {
  const original = Buffer.from("From: a@example.org\r\nSubject: Report me\r\nMessage-ID: <m1@example.org>\r\n\r\nbody text\r\n");

  it("is a multipart/report with per-recipient delivery-status fields and the original headers", () => {
    const raw = buildDsn({
      reportingMta: "mail.example.org",
      to: "a@example.org",
      original,
      arrivalDate: new Date("2026-02-03T10:00:00Z"),
      date: new Date("2026-02-03T11:00:00Z"),
      recipients: [
        { address: "x@remote.test", action: "failed", status: "5.1.1", remoteMta: "mx.remote.test", diagnostic: "550 5.1.1 no such user", lastAttemptDate: new Date("2026-02-03T11:00:00Z") },
        { address: "y@remote.test", action: "delayed", status: "4.4.1", diagnostic: "connection refused", diagnosticType: "x-pigeon", willRetryUntil: new Date("2026-02-08T10:00:00Z") },
      ],
    });
    const text = raw.toString("latin1");
    const boundary = /boundary="([^"]+)"/.exec(text)![1];
    expect(text).toMatch(/^From: Mail Delivery System <MAILER-DAEMON@mail\.example\.org>\r\nTo: <a@example\.org>\r\n/);
    expect(text).toContain("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=");
    expect(text).toContain("In-Reply-To: <m1@example.org>");
    const parts = text.split(`--${boundary}`);
    expect(parts).toHaveLength(5); // preamble, 3 parts, epilogue
    expect(parts[1]).toContain("Content-Type: text/plain");
    expect(parts[2]).toContain(
      [
        "Content-Type: message/delivery-status",
        "Content-Description: Delivery report",
        "",
        "Reporting-MTA: dns; mail.example.org",
        "Arrival-Date: Tue, 03 Feb 2026 10:00:00 +0000",
        "",
        "Final-Recipient: rfc822; x@remote.test",
        "Action: failed",
        "Status: 5.1.1",
        "Remote-MTA: dns; mx.remote.test",
        "Diagnostic-Code: smtp; 550 5.1.1 no such user",
        "Last-Attempt-Date: Tue, 03 Feb 2026 11:00:00 +0000",
        "",
        "Final-Recipient: rfc822; y@remote.test",
        "Action: delayed",
        "Status: 4.4.1",
        "Diagnostic-Code: x-pigeon; connection refused",
        "Will-Retry-Until: Sun, 08 Feb 2026 10:00:00 +0000",
      ].join("\r\n"),
    );
    expect(parts[3]).toContain("Content-Type: text/rfc822-headers\r\n");
    expect(parts[3]).toContain("Subject: Report me\r\nMessage-ID: <m1@example.org>");
    expect(parts[3]).not.toContain("body text");
    expect(parts[4]).toBe("--\r\n");
  });

  it("reads enhanced status codes from replies", () => {
    expect(enhancedStatus("550 5.1.1 no such user", 5)).toBe("5.1.1");
    expect(enhancedStatus("451 4.7.1 greylisted", 4)).toBe("4.7.1");
    expect(enhancedStatus("550 no such user", 5)).toBe("5.0.0");
    expect(enhancedStatus("550 4.1.1 mismatched", 5)).toBe("5.0.0");
  });
});
