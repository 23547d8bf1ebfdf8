import { beforeAll, describe, expect, it } from "vitest";
import { clientIp, isSameOrigin } from "./request.ts";

beforeAll(() => {
  process.env.PUBLIC_URL = "https://mail.example.test";
});

const h = (init: Record<string, string>) => new Headers(init);

describe("isSameOrigin (CSRF check for state-changing requests)", () => {
  it("accepts PUBLIC_URL's origin and the origin the request was addressed to", () => {
    expect(isSameOrigin(h({ origin: "https://mail.example.test", host: "10.0.0.5:3000" }))).toBe(true);
    expect(isSameOrigin(h({ origin: "http://127.0.0.1:3000", host: "127.0.0.1:3000" }))).toBe(true);
    expect(isSameOrigin(h({ origin: "https://webmail.example.test", host: "127.0.0.1:3000", "x-forwarded-host": "webmail.example.test", "x-forwarded-proto": "https" }))).toBe(true);
  });

  it("refuses other sites, opaque origins and requests that say nothing", () => {
    expect(isSameOrigin(h({ origin: "https://evil.example", host: "mail.example.test" }))).toBe(false);
    expect(isSameOrigin(h({ origin: "http://mail.example.test", host: "mail.example.test", "x-forwarded-proto": "https" }))).toBe(false);
    expect(isSameOrigin(h({ origin: "null", host: "mail.example.test" }))).toBe(false);
    expect(isSameOrigin(h({ host: "mail.example.test" }))).toBe(false);
  });

  it("falls back to Referer when there is no Origin", () => {
    expect(isSameOrigin(h({ referer: "https://mail.example.test/settings/devices", host: "x" }))).toBe(true);
    expect(isSameOrigin(h({ referer: "https://evil.example/?https://mail.example.test", host: "x" }))).toBe(false);
    expect(isSameOrigin(h({ referer: "not a url", host: "x" }))).toBe(false);
  });
});

describe("clientIp", () => {
  it("takes the last X-Forwarded-For hop (the one the nearest proxy vouches for)", () => {
    expect(clientIp(h({ "x-forwarded-for": "203.0.113.9" }))).toBe("203.0.113.9");
    expect(clientIp(h({ "x-forwarded-for": "1.2.3.4, 198.51.100.7" }))).toBe("198.51.100.7");
    expect(clientIp(h({ "x-real-ip": "198.51.100.8" }))).toBe("198.51.100.8");
    expect(clientIp(h({}))).toBe("");
  });
});
