import type { Readable } from "node:stream";

// Reads the DATA of one SMTP transaction (smtp-server hands it over dot-unstuffed) while
// enforcing the two rules that must hold before a byte is trusted:
//
// - Size: bytes are kept only up to the limit; past it they are counted and dropped, so a
//   message of any size costs at most `maxBytes` of memory (RFC 1870 §6: 552 after DATA).
// - Line endings: smtp-server ends DATA only at CRLF.CRLF, so an `LF.LF`, `CR.CR` or `CRLF NUL .
//   CRLF` that another MTA would take for the end stays inside the message. Any bare CR, bare LF
//   or NUL is refused outright (RFC 5321 §2.3.8 and §4.1.4: lines end in CRLF; RFC 6152 §3: no
//   NUL): a message that one MTA would split in two is never delivered, as one or as two.

export type LineEndingProblem = "bare-cr" | "bare-lf" | "nul";

const CR = 0x0d;
const LF = 0x0a;

/** Incremental check for bare CR, bare LF and NUL across arbitrarily split chunks. */
export class LineEndingChecker {
  problem: LineEndingProblem | null = null;
  private lastWasCr = false;

  push(chunk: Buffer): void {
    if (this.problem || chunk.length === 0) return;
    if (this.lastWasCr && chunk[0] !== LF) {
      this.problem = "bare-cr";
      return;
    }
    if (chunk.indexOf(0) !== -1) {
      this.problem = "nul";
      return;
    }
    // Every LF must follow a CR (the first may follow the CR that ended the previous chunk).
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      const before = i === 0 ? (this.lastWasCr ? CR : -1) : chunk[i - 1];
      if (before !== CR) {
        this.problem = "bare-lf";
        return;
      }
    }
    // Every CR must precede an LF (the last may be answered by the next chunk).
    for (let i = chunk.indexOf(CR); i !== -1; i = chunk.indexOf(CR, i + 1)) {
      if (i === chunk.length - 1) break;
      if (chunk[i + 1] !== LF) {
        this.problem = "bare-cr";
        return;
      }
    }
    this.lastWasCr = chunk[chunk.length - 1] === CR;
  }

  /** Call once the data is complete: a CR as the very last byte is bare too. */
  end(): LineEndingProblem | null {
    if (!this.problem && this.lastWasCr) this.problem = "bare-cr";
    return this.problem;
  }
}

export interface SmtpData {
  /** The message; empty when it was over the limit or refused for its line endings. */
  raw: Buffer;
  /** Bytes received, whether kept or not. */
  size: number;
  tooBig: boolean;
  lineEndings: LineEndingProblem | null;
}

export async function readSmtpData(stream: Readable, maxBytes: number): Promise<SmtpData> {
  const checker = new LineEndingChecker();
  let chunks: Buffer[] = [];
  let kept = 0;
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    checker.push(chunk);
    if (size > maxBytes || checker.problem) {
      // Drop what is held and keep draining: the client is owed a reply after its final dot.
      chunks = [];
      kept = 0;
      continue;
    }
    chunks.push(chunk);
    kept += chunk.length;
  }
  const lineEndings = checker.end();
  const tooBig = size > maxBytes;
  return { raw: tooBig || lineEndings ? Buffer.alloc(0) : Buffer.concat(chunks, kept), size, tooBig, lineEndings };
}
