import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import type { MimeNode } from "../../../lib/mime/structure.ts";
import { ENMIME_DIR, SPAM_ASSASSIN_DIR, enmimeFiles, readCrlf, spamAssassinFiles } from "./mime-check.ts";

// Generators for the MIME property tests: MIME trees rendered to bytes (with what the parser
// must find in them), and random mutations of real messages.

// ─── Generated MIME trees ──────────────────────────────────────────────────────────────────────

export type Tree =
  | { kind: "leaf"; type: string; headers: string[]; body: string }
  | { kind: "multi"; subtype: string; boundary: string; preamble: string; epilogue: string; padding: string; parts: Tree[] }
  | { kind: "rfc822"; inner: Tree };

const line = fc.stringMatching(/^[A-Za-z0-9 .,:;!?'=]{0,60}$/);
const bodyText = fc.array(line, { maxLength: 6 }).map((ls) => ls.join("\r\n"));
const leaf: fc.Arbitrary<Tree> = fc.record({
  kind: fc.constant("leaf" as const),
  type: fc.constantFrom("text/plain", "text/html", "application/octet-stream", "image/png", "text/calendar"),
  headers: fc.subarray(["Content-Transfer-Encoding: 7bit", "Content-Disposition: attachment; filename=\"a b.txt\"", "Content-ID: <c1@x>", "Content-Description: d"]),
  body: bodyText,
});

let boundaryCounter = 0;
export const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.record({
      kind: fc.constant("multi" as const),
      subtype: fc.constantFrom("mixed", "alternative", "related", "signed"),
      boundary: fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?]{1,20}$/).map((b) => `=_${++boundaryCounter}_${b}`),
      preamble: fc.oneof(fc.constant(""), line),
      epilogue: fc.oneof(fc.constant(""), line),
      padding: fc.constantFrom("", " ", "\t", "  "),
      parts: fc.array(tie("node"), { minLength: 1, maxLength: 4 }),
    }),
    fc.record({ kind: fc.constant("rfc822" as const), inner: tie("node") }),
  ),
})).node;

function contentHeaders(t: Tree): string[] {
  if (t.kind === "leaf") return [`Content-Type: ${t.type}`, ...t.headers];
  if (t.kind === "multi") return [`Content-Type: multipart/${t.subtype}; boundary="${t.boundary}"`];
  return ["Content-Type: message/rfc822"];
}

/** The entity: header lines, blank line, body. */
export function renderEntity(t: Tree, extraHeaders: string[] = []): string {
  return [...extraHeaders, ...contentHeaders(t)].map((h) => h + "\r\n").join("") + "\r\n" + renderBody(t);
}

function renderBody(t: Tree): string {
  if (t.kind === "leaf") return t.body;
  if (t.kind === "rfc822") return renderEntity(t.inner, ["Subject: enclosed", "From: x@example.org"]);
  let out = t.preamble ? t.preamble + "\r\n" : "";
  for (const p of t.parts) out += `--${t.boundary}${t.padding}\r\n` + renderEntity(p) + "\r\n";
  out += `--${t.boundary}--${t.padding}`;
  if (t.epilogue) out += "\r\n" + t.epilogue;
  return out;
}

/** Compares the parsed tree with the generated one; returns the first difference. */
export function diff(buf: Buffer, t: Tree, n: MimeNode, where: string): string | null {
  const want = t.kind === "leaf" ? t.type : t.kind === "multi" ? `multipart/${t.subtype}` : "message/rfc822";
  if (`${n.type}/${n.subtype}` !== want) return `${where}: ${n.type}/${n.subtype}, wanted ${want}`;
  if (t.kind === "leaf") {
    const body = buf.toString("latin1", n.bodyStart, n.bodyEnd);
    return body === t.body ? null : `${where}: body ${JSON.stringify(body)}, wanted ${JSON.stringify(t.body)}`;
  }
  if (t.kind === "rfc822") return n.message ? diff(buf, t.inner, n.message, `${where}.msg`) : `${where}: no enclosed message`;
  if (!n.parts || n.parts.length !== t.parts.length) return `${where}: ${n.parts?.length} parts, wanted ${t.parts.length}`;
  for (let i = 0; i < t.parts.length; i++) {
    const d = diff(buf, t.parts[i], n.parts[i], `${where}.${i + 1}`);
    if (d) return d;
  }
  return null;
}

export function depthOf(t: Tree): number {
  return t.kind === "leaf" ? 0 : t.kind === "rfc822" ? 1 + depthOf(t.inner) : 1 + Math.max(...t.parts.map(depthOf));
}

// ─── Mutated corpus messages ───────────────────────────────────────────────────────────────────

/** Seeds for mutation: 1 in `every` corpus messages (CRLF) and enmime's broken parts. */
export function mutationSeeds(every: number): Buffer[] {
  return [
  ...spamAssassinFiles()
    .filter((_, i) => i % every === 0)
    .map((f) => readCrlf(path.join(SPAM_ASSASSIN_DIR, f))),
  ...enmimeFiles()
    .filter((f) => f.startsWith("parts/") || f.startsWith("low-quality/"))
    .map((f) => fs.readFileSync(path.join(ENMIME_DIR, f))),
  ];
}

export type Mutation = { at: number; del: number; insert: string };
const NASTY = ["\r", "\n", "\r\n", "\r\n\r\n", "--", "\r\n--", "boundary=", "Content-Type: multipart/mixed; boundary=x\r\n", '"', ";", "\0", "\xff", "=?utf-8?b?", "\r\n--x--\r\n", " ", "\t"];
export const mutation = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }).map((x) => x),
  del: fc.nat({ max: 40 }),
  insert: fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 20 })),
});

export function mutate(buf: Buffer, ms: { at: number; del: number; insert: string }[]): Buffer {
  let text = buf.toString("latin1");
  for (const m of ms) {
    const at = Math.floor(m.at * text.length);
    text = text.slice(0, at) + m.insert + text.slice(at + m.del);
  }
  return Buffer.from(text, "latin1");
}

