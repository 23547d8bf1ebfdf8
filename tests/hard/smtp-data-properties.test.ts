import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineEndingChecker, readSmtpData } from "../../lib/smtp/data-reader.ts";

// Issue 12, item 5 (SMTP DATA reader): readSmtpData against a plain reference model, over
// arbitrary bytes in arbitrary chunkings. Whatever the split: the size is counted exactly, a
// message over the limit keeps nothing, a message with any bare CR, bare LF or NUL is refused
// (and only such a message), and a clean one comes out byte for byte.

const NUM_RUNS = Number(process.env.HARD_FC_RUNS ?? 500);

/** The reference: does `buf` hold a CR not followed by LF, an LF not preceded by CR, or a NUL? */
function reference(buf: Buffer): "bare-cr" | "bare-lf" | "nul" | null {
  const kinds: ("bare-cr" | "bare-lf" | "nul")[] = [];
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) kinds.push("nul");
    if (buf[i] === 0x0d && buf[i + 1] !== 0x0a) kinds.push("bare-cr");
    if (buf[i] === 0x0a && buf[i - 1] !== 0x0d) kinds.push("bare-lf");
  }
  return kinds[0] ?? null;
}

function kindsIn(buf: Buffer): Set<string> {
  const kinds = new Set<string>();
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) kinds.add("nul");
    if (buf[i] === 0x0d && buf[i + 1] !== 0x0a) kinds.add("bare-cr");
    if (buf[i] === 0x0a && buf[i - 1] !== 0x0d) kinds.add("bare-lf");
  }
  return kinds;
}

function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * buf.length)))].filter((p) => p > 0 && p < buf.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    out.push(buf.subarray(last, p));
    last = p;
  }
  out.push(buf.subarray(last));
  return out;
}

// Bytes biased towards line-ending trouble: mostly CRLF lines, now and then a lone CR, LF or NUL.
const cleanLine = fc.stringMatching(/^[ -~\t\x80-\xff]{0,40}$/).map((s) => s + "\r\n");
const trouble = fc.constantFrom("\r", "\n", "\0", "\n\r", "\r\r\n", "\r\n\r", ".\n", "\n.\n", "\r.\r");
const data = fc.oneof(
  fc.array(cleanLine, { maxLength: 20 }).map((ls) => Buffer.from(ls.join(""), "latin1")),
  fc.array(fc.oneof({ weight: 8, arbitrary: cleanLine }, { weight: 1, arbitrary: trouble }), { maxLength: 20 }).map((ls) => Buffer.from(ls.join(""), "latin1")),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
);
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

describe("readSmtpData", () => {
  it("agrees with the reference model whatever the chunking", async () => {
    await fc.assert(
      fc.asyncProperty(data, cuts, fc.integer({ min: 0, max: 400 }), async (buf, cutPoints, maxBytes) => {
        const chunks = split(buf, cutPoints);
        const result = await readSmtpData(Readable.from(chunks), maxBytes);
        expect(result.size).toBe(buf.length);
        expect(result.tooBig).toBe(buf.length > maxBytes);
        const problem = reference(buf);
        // The kind reported may depend on where the chunks split; that there is one may not.
        expect(result.lineEndings === null).toBe(problem === null);
        if (result.lineEndings) expect(kindsIn(buf).has(result.lineEndings)).toBe(true);
        if (result.tooBig || result.lineEndings) expect(result.raw.length).toBe(0);
        else expect(result.raw.equals(buf)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("LineEndingChecker gives the same verdict for every split of the same bytes", () => {
    fc.assert(
      fc.property(data, cuts, cuts, (buf, a, b) => {
        const verdict = (chunks: Buffer[]) => {
          const c = new LineEndingChecker();
          for (const chunk of chunks) c.push(chunk);
          return c.end() === null;
        };
        expect(verdict(split(buf, a))).toBe(verdict(split(buf, b)));
        expect(verdict(split(buf, a))).toBe(reference(buf) === null);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("keeps no more than the limit while a huge message streams, and reads it in bounded time", async () => {
    const chunk = Buffer.from("x".repeat(65_534) + "\r\n");
    let made = 0;
    const stream = new Readable({
      read() {
        made++;
        this.push(made > 1600 ? null : chunk); // 100 MB
      },
    });
    const t0 = performance.now();
    const result = await readSmtpData(stream, 1024 * 1024);
    const ms = performance.now() - t0;
    console.log(`readSmtpData: ${(result.size / 1048576).toFixed(0)} MB against a 1 MB limit in ${ms.toFixed(0)} ms, kept ${result.raw.length} bytes`);
    expect(result.tooBig).toBe(true);
    expect(result.raw.length).toBe(0);
    expect(result.size).toBe(1600 * chunk.length);
    expect(ms).toBeLessThan(10_000);
  });
});
