import { describe, expect, it } from "vitest";
import { buildReceivedHeader, formatRfc5322Date, removeForgedAuthResults } from "./trace-headers.ts";

describe("Received", () => {
  it("formats RFC 5321 §4.4 trace fields", () => {
    const h = buildReceivedHeader({
      helo: "client.example",
      clientHostname: "host.example",
      ip: "192.0.2.7",
      by: "mx.example",
      protocol: "ESMTPS",
      id: "abc.1",
      tls: { version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" },
      recipient: "alice@example.test",
      date: new Date(Date.UTC(2026, 1, 3, 10, 0, 0)),
    });
    expect(h).toBe(
      "Received: from client.example (host.example [192.0.2.7])\r\n" +
        "\tby mx.example (Pigeon) with ESMTPS id abc.1\r\n" +
        "\t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384)\r\n" +
        "\tfor <alice@example.test>; Tue, 03 Feb 2026 10:00:00 +0000\r\n",
    );
  });

  it("neutralises what a client could use to break the field", () => {
    const h = buildReceivedHeader({
      helo: "x) by forged (y; é",
      clientHostname: "[::1]",
      ip: "::1",
      by: "mx.example",
      protocol: "ESMTP",
      id: "i",
      date: new Date(0),
    });
    expect(h.split("\r\n")[0]).toBe("Received: from x??by?forged??y??? ([IPv6:::1])");
    expect(formatRfc5322Date(new Date(0))).toBe("Thu, 01 Jan 1970 00:00:00 +0000");
  });
});

describe("removeForgedAuthResults", () => {
  const body = "\r\nbody\r\nAuthentication-Results: mx.example; in the body stays\r\n";
  it("drops fields claiming our authserv-id and keeps the rest", () => {
    const raw = Buffer.from(
      "Authentication-Results: MX.example;\r\n dkim=pass header.d=bank.example\r\n" +
        "Authentication-Results: other.example; spf=fail\r\n" +
        "Authentication-Results: (comment) mx.example 1; dmarc=pass\r\n" +
        "Subject: hi\r\n" +
        body,
    );
    expect(removeForgedAuthResults(raw, "mx.example").toString()).toBe(
      "Authentication-Results: other.example; spf=fail\r\nSubject: hi\r\n" + body,
    );
  });

  it("returns the same buffer when there is nothing to drop", () => {
    const raw = Buffer.from("Subject: hi\r\n" + body);
    expect(removeForgedAuthResults(raw, "mx.example")).toBe(raw);
  });
});
