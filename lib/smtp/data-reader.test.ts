import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { LineEndingChecker, readSmtpData } from "./data-reader.ts";

function check(...chunks: string[]) {
  const c = new LineEndingChecker();
  for (const chunk of chunks) c.push(Buffer.from(chunk, "latin1"));
  return c.end();
}

describe("LineEndingChecker", () => {
  it("accepts CRLF lines however the chunks split them", () => {
    expect(check("a\r\nb\r\n")).toBeNull();
    expect(check("a\r", "\nb\r\n")).toBeNull();
    expect(check("a", "\r", "\n", "b\r\n")).toBeNull();
    expect(check("")).toBeNull();
  });

  it("finds bare LF, bare CR and NUL", () => {
    expect(check("a\nb\r\n")).toBe("bare-lf");
    expect(check("\nb\r\n")).toBe("bare-lf");
    expect(check("a\r\n", "\n")).toBe("bare-lf");
    expect(check("a\rb\r\n")).toBe("bare-cr");
    expect(check("a\r", "b\r\n")).toBe("bare-cr");
    expect(check("a\r\n\r")).toBe("bare-cr");
    expect(check("a\r\n\0.\r\n")).toBe("nul");
  });

  it("catches every smuggling sequence", () => {
    for (const seq of ["\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "\r\n\0.\r\n"]) {
      expect(check(`Subject: x\r\n\r\nbody${seq}MAIL FROM:<a@b>\r\n`), JSON.stringify(seq)).not.toBeNull();
    }
  });
});

describe("readSmtpData", () => {
  it("keeps a message within the limit", async () => {
    const r = await readSmtpData(Readable.from([Buffer.from("a\r\n"), Buffer.from("b\r\n")]), 100);
    expect(r).toMatchObject({ size: 6, tooBig: false, lineEndings: null });
    expect(r.raw.toString()).toBe("a\r\nb\r\n");
  });

  it("counts but drops a message over the limit", async () => {
    const chunk = Buffer.alloc(1000, "x");
    const r = await readSmtpData(Readable.from(Array.from({ length: 10 }, () => chunk)), 5000);
    expect(r).toMatchObject({ size: 10_000, tooBig: true });
    expect(r.raw.length).toBe(0);
  });
});
