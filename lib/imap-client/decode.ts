// Turning the bytes of a body part into text: content-transfer-encoding (RFC 2045 §6), charset,
// and for previews, markup and whitespace removed. Works on a partial fetch (the first bytes of a
// part): a cut base64 quantum or a cut quoted-printable escape is dropped, not misread.

export function decodeTransferEncoding(data: Buffer, encoding: string): Buffer {
  switch (encoding.toLowerCase()) {
    case "base64": {
      const clean = data.toString("latin1").replace(/[^A-Za-z0-9+/=]/g, "");
      return Buffer.from(clean.slice(0, clean.length - (clean.length % 4)), "base64");
    }
    case "quoted-printable": {
      const text = data.toString("latin1").replace(/=\r?\n/g, "").replace(/=[0-9A-Fa-f]?$/, "");
      const bytes: number[] = [];
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
          bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
          i += 2;
        } else bytes.push(c & 0xff);
      }
      return Buffer.from(bytes);
    }
    default:
      return data;
  }
}

/** Bytes in `charset` as a string; an unknown charset is read as UTF-8. */
export function decodeCharset(data: Buffer | Uint8Array, charset: string | null | undefined): string {
  const label = (charset ?? "").trim().toLowerCase().replace(/^"|"$/g, "");
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label && label !== "us-ascii" && label !== "ascii" ? label : "utf-8");
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  return decoder.decode(data);
}

const ENTITIES: Record<string, string> = { nbsp: " ", amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", "#39": "'" };

/** Visible text of an HTML fragment, roughly (for previews only; never for display as HTML). */
export function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?(-->|$)/g, " ")
    .replace(/<(script|style|head|title)\b[^>]*>[\s\S]*?(<\/\1\s*>|$)/gi, " ")
    .replace(/<[^>]*(>|$)/g, " ")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);/gi, (m, name: string) => {
      const n = name.toLowerCase();
      if (n.startsWith("#x")) return safeChar(parseInt(n.slice(2), 16));
      if (n.startsWith("#")) return safeChar(parseInt(n.slice(1), 10));
      return ENTITIES[n] ?? m;
    });
}

function safeChar(code: number): string {
  return Number.isFinite(code) && code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : " ";
}

/** A one-line preview: quoted replies and signature separators trimmed, whitespace collapsed. */
export function previewText(text: string, max = 200): string {
  const lines = text.split(/\r?\n/);
  const kept: string[] = [];
  for (const line of lines) {
    if (/^\s*>/.test(line)) continue;
    if (/^-- ?$/.test(line)) break;
    kept.push(line);
  }
  const collapsed = kept.join(" ").replace(/[\u200b-\u200d\ufeff\u00ad\u034f]/g, "").replace(/\s+/g, " ").trim();
  return collapsed.length > max ? collapsed.slice(0, max - 1).trimEnd() + "…" : collapsed;
}
