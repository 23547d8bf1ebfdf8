// Splits a byte stream into CRLF (or LF) terminated lines with a hard length limit, so that a
// client sending an endless line costs no memory: the excess is dropped and reported once.

export type LineEvent = { kind: "line"; line: string } | { kind: "too-long" };

export class LineReader {
  private parts: Buffer[] = [];
  private length = 0;
  private overflow = false;

  constructor(private readonly maxLength: number) {}

  /** Feeds bytes; returns the complete lines (and overflow events) they finish. */
  push(chunk: Buffer): LineEvent[] {
    const out: LineEvent[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      if (!this.overflow) {
        const piece = chunk.subarray(start, end);
        if (this.length + piece.length > this.maxLength) {
          this.overflow = true;
          this.parts = [];
          this.length = 0;
        } else {
          this.parts.push(piece);
          this.length += piece.length;
        }
      }
      if (nl < 0) break;
      if (this.overflow) out.push({ kind: "too-long" });
      else {
        let line = Buffer.concat(this.parts).toString("utf8");
        if (line.endsWith("\r")) line = line.slice(0, -1);
        out.push({ kind: "line", line });
      }
      this.parts = [];
      this.length = 0;
      this.overflow = false;
      start = nl + 1;
    }
    return out;
  }
}
