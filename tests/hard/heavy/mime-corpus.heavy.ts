import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseMessage } from "../../../lib/mime/parse.ts";
import { SPAM_ASSASSIN_DIR, readCrlf, spamAssassinFiles, structureProblems } from "../helpers/mime-check.ts";
import { depthOf, diff, mutate, mutation, mutationSeeds, renderEntity, tree, type Mutation } from "../helpers/mime-gen.ts";

// Issue 12, item 5 at full size: every message of the SpamAssassin corpus (LF → CRLF, and as
// shipped), and long runs of the generated-tree and mutation properties.

describe("the whole SpamAssassin corpus", () => {
  it("parses every message, CRLF and as shipped, with a consistent structure", async () => {
    const files = spamAssassinFiles();
    let slowest = { ms: 0, file: "" };
    let bytes = 0;
    const t0 = performance.now();
    for (const f of files) {
      const full = path.join(SPAM_ASSASSIN_DIR, f);
      for (const buf of [readCrlf(full), (await import("node:fs")).readFileSync(full)]) {
        const t = performance.now();
        const parsed = await parseMessage(buf);
        const ms = performance.now() - t;
        if (ms > slowest.ms) slowest = { ms, file: f };
        bytes += buf.length;
        expect(structureProblems(buf, parsed.structure, { resliceDepth: 3 }), f).toEqual([]);
      }
    }
    console.log(
      `SpamAssassin corpus: ${files.length} messages × 2 (CRLF, as shipped), ${(bytes / 1048576).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
        `slowest ${slowest.ms.toFixed(1)} ms (${slowest.file})`,
    );
    expect(files.length).toBeGreaterThan(6000);
  }, 900_000);
});

describe("long property runs", () => {
  it("generated MIME trees: 5,000 runs", async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (t) => {
        fc.pre(depthOf(t) < 25);
        const buf = Buffer.from(renderEntity(t, ["From: a@example.org", "Subject: generated", "MIME-Version: 1.0"]), "latin1");
        const parsed = await parseMessage(buf);
        expect(diff(buf, t, parsed.structure, "root")).toBeNull();
        expect(structureProblems(buf, parsed.structure)).toEqual([]);
      }),
      { numRuns: 5000 },
    );
  }, 900_000);

  it("mutated corpus messages: 5,000 runs over 1 in 10 messages", async () => {
    const seeds = mutationSeeds(10);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 12 }), async (i, ms) => {
        const buf = mutate(seeds[i], ms as Mutation[]);
        const parsed = await parseMessage(buf);
        expect(structureProblems(buf, parsed.structure, { resliceDepth: 1 })).toEqual([]);
      }),
      { numRuns: 5000 },
    );
  }, 900_000);
});
