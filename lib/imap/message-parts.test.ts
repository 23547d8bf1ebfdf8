import { describe, expect, it } from "vitest";
import { parseMimeStructure } from "../mime/structure.ts";
import { binaryData, filterHeaderFields, sectionData, toBodyStructure } from "./message-parts.ts";

const raw = Buffer.from(
  [
    "Subject: test",
    "From: a@b.test",
    "X-Long: one",
    "  two",
    'Content-Type: multipart/mixed; boundary="x"',
    "",
    "preamble",
    "--x",
    "Content-Type: text/plain",
    "",
    "first part",
    "--x",
    "Content-Type: multipart/alternative; boundary=y",
    "",
    "--y",
    "Content-Type: text/html",
    "Content-Transfer-Encoding: base64",
    "",
    Buffer.from("<p>hi</p>").toString("base64"),
    "--y--",
    "--x",
    "Content-Type: message/rfc822",
    "",
    "Subject: inner",
    "",
    "inner text",
    "--x--",
    "",
  ].join("\r\n"),
);
const structure = parseMimeStructure(raw);

describe("BODY[section]", () => {
  const section = (spec: string) => {
    const [nums, ...rest] = spec.split(/\.(?=[A-Z])/);
    const part = nums && /^\d/.test(nums) ? nums.split(".").map(Number) : [];
    const text = (part.length ? rest.join(".") : spec) || undefined;
    return sectionData(raw, structure, { part, text: text as never });
  };

  it("slices parts, headers and texts", () => {
    expect(section("1")?.toString()).toBe("first part");
    expect(section("2.1")?.toString()).toBe(Buffer.from("<p>hi</p>").toString("base64"));
    expect(section("2.1.MIME")?.toString()).toBe("Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    expect(section("3.HEADER")?.toString()).toBe("Subject: inner\r\n\r\n");
    expect(section("3.TEXT")?.toString()).toBe("inner text");
    expect(section("3.1")?.toString()).toBe("inner text");
    expect(section("HEADER")?.toString()).toMatch(/^Subject: test\r\n.*\r\n\r\n$/s);
    expect(section("TEXT")?.toString()).toMatch(/^preamble\r\n--x/);
    expect(section("4")).toBeNull();
    expect(section("1.HEADER")).toBeNull();
  });

  it("filters header fields, with continuation lines", () => {
    const header = raw.subarray(0, structure.bodyStart);
    expect(filterHeaderFields(header, ["x-long", "SUBJECT"], false).toString()).toBe("Subject: test\r\nX-Long: one\r\n  two\r\n\r\n");
    expect(filterHeaderFields(header, ["subject", "content-type", "x-long"], true).toString()).toBe("From: a@b.test\r\n\r\n");
  });

  it("decodes BINARY and describes BODYSTRUCTURE", () => {
    expect(binaryData(raw, structure, [2, 1])?.toString()).toBe("<p>hi</p>");
    const bs = toBodyStructure(structure);
    expect("parts" in bs && bs.parts.length).toBe(3);
  });
});
