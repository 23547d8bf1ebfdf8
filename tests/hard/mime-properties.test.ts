import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseMessage } from "../../lib/mime/parse.ts";
import { parseMimeStructure, type MimeNode } from "../../lib/mime/structure.ts";
import { depthOf, diff, mutate, mutation, mutationSeeds, renderEntity, tree, type Mutation } from "./helpers/mime-gen.ts";
import { ENMIME_DIR, SPAM_ASSASSIN_DIR, enmimeFiles, readCrlf, spamAssassinFiles, structureProblems } from "./helpers/mime-check.ts";
import fs from "node:fs";

// Issue 12, item 5 (MIME): parseMessage never throws, and the structure it computes for IMAP
// (offsets, BODY[section] slices, line counts) is right, over a sample of the SpamAssassin corpus
// (LF → CRLF), enmime's broken samples, generated MIME trees, and mutated corpus messages. The
// whole corpus: tests/hard/heavy/mime-corpus.heavy.ts.

const NUM_RUNS = Number(process.env.HARD_FC_RUNS ?? 200);

async function checkMessage(buf: Buffer, label: string): Promise<{ ms: number }> {
  const t0 = performance.now();
  const parsed = await parseMessage(buf);
  const ms = performance.now() - t0;
  const problems = structureProblems(buf, parsed.structure);
  expect(problems, label).toEqual([]);
  expect(parsed.size).toBe(buf.length);
  return { ms };
}

describe("the SpamAssassin corpus (a sample of 1 in 12, CRLF)", () => {
  it("parses every message without throwing, with a consistent structure", async () => {
    const files = spamAssassinFiles().filter((_, i) => i % 12 === 0);
    let slowest = 0;
    let parts = 0;
    for (const f of files) {
      const buf = readCrlf(path.join(SPAM_ASSASSIN_DIR, f));
      const { ms } = await checkMessage(buf, f);
      slowest = Math.max(slowest, ms);
      const count = (n: MimeNode): number => 1 + (n.parts ?? []).reduce((a, p) => a + count(p), 0) + (n.message ? count(n.message) : 0);
      parts += count(parseMimeStructure(buf));
    }
    console.log(`SpamAssassin sample: ${files.length} messages, ${parts} MIME nodes, slowest parseMessage ${slowest.toFixed(1)} ms`);
    expect(files.length).toBeGreaterThan(450);
    expect(slowest).toBeLessThan(2000);
  }, 120_000);
});

describe("enmime's broken MIME samples", () => {
  it("takes every sample, as stored and with CRLF, without throwing", async () => {
    const files = enmimeFiles();
    for (const f of files) {
      await checkMessage(fs.readFileSync(path.join(ENMIME_DIR, f)), `${f} (as is)`);
      await checkMessage(readCrlf(path.join(ENMIME_DIR, f)), `${f} (CRLF)`);
    }
    console.log(`enmime samples: ${files.length} files, each as stored and as CRLF`);
    expect(files.length).toBeGreaterThan(70);
  });
});

describe("generated MIME trees", () => {
  it("are parsed back into the same tree, each leaf's slice being exactly its body", async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (t) => {
        fc.pre(depthOf(t) < 25);
        const buf = Buffer.from(renderEntity(t, ["From: a@example.org", "To: b@example.org", "Subject: generated", "MIME-Version: 1.0"]), "latin1");
        const parsed = await parseMessage(buf);
        expect(diff(buf, t, parsed.structure, "root")).toBeNull();
        expect(structureProblems(buf, parsed.structure)).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

const SEEDS = mutationSeeds(97);

describe("mutated corpus messages", () => {
  it("never make parseMessage throw or the structure inconsistent, and parse in bounded time", async () => {
    let slowest = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 8 }), fc.boolean(), async (i, ms, truncate) => {
        let buf = mutate(SEEDS[i], ms as Mutation[]);
        if (truncate) buf = buf.subarray(0, Math.floor(buf.length * ms[0].at));
        const t0 = performance.now();
        const parsed = await parseMessage(buf);
        slowest = Math.max(slowest, performance.now() - t0);
        expect(structureProblems(buf, parsed.structure, { resliceDepth: 1 })).toEqual([]);
      }),
      { numRuns: NUM_RUNS * 2 },
    );
    console.log(`mutated corpus: ${NUM_RUNS * 2} runs over ${SEEDS.length} seeds, slowest parseMessage ${slowest.toFixed(1)} ms`);
    expect(slowest).toBeLessThan(2000);
  }, 120_000);

  it("survive pathological shapes: deep nesting, many parts, a huge header, no header end", async () => {
    const deep = (n: number) => {
      let s = "Subject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n";
      for (let i = 1; i < n; i++) s += `--b${i - 1}\r\nContent-Type: multipart/mixed; boundary=b${i}\r\n\r\n`;
      return Buffer.from(s + "--b" + (n - 1) + "\r\n\r\nleaf\r\n", "latin1");
    };
    const many = Buffer.from("Content-Type: multipart/mixed; boundary=x\r\n\r\n" + "--x\r\n\r\np\r\n".repeat(20_000) + "--x--\r\n", "latin1");
    const rfc822s = Buffer.from("Content-Type: message/rfc822\r\n\r\n".repeat(5000) + "body", "latin1");
    const hugeHeader = Buffer.from("Subject: " + "a".repeat(5 * 1024 * 1024) + "\r\n\r\nbody", "latin1");
    const folded = Buffer.from("Subject: x\r\n" + " folded\r\n".repeat(200_000) + "\r\nbody", "latin1");
    const noEnd = Buffer.from("Content-Type: multipart/mixed; boundary=x\r\n" + "X-A: b\r\n".repeat(100_000), "latin1");
    for (const [name, buf] of [["deep 1000", deep(1000)], ["20,000 parts", many], ["5,000 nested rfc822", rfc822s], ["5 MB header line", hugeHeader], ["200,000 folded lines", folded], ["no end of header", noEnd]] as const) {
      const t0 = performance.now();
      const parsed = await parseMessage(buf);
      const ms = performance.now() - t0;
      expect(structureProblems(buf, parsed.structure, { resliceDepth: 0 }), name).toEqual([]);
      console.log(`pathological MIME, ${name}: ${(buf.length / 1024).toFixed(0)} KB parsed in ${ms.toFixed(0)} ms`);
      expect(ms, name).toBeLessThan(5000);
    }
  }, 120_000);
});
