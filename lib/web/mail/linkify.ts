// Plain-text mail with its links made clickable, safely: the text is split into pieces, and only
// http(s) URLs, www. names and e-mail addresses become links (rendered by React as <a> with
// rel="noopener noreferrer nofollow"); everything else stays text. No HTML is ever built from the
// message's text.

export type TextPiece = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

const PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+|\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/gi;
const TRAILING = /[.,;:!?)\]}'"»”’]+$/;

export function linkify(text: string): TextPiece[] {
  const out: TextPiece[] = [];
  let last = 0;
  for (const m of text.matchAll(PATTERN)) {
    let raw = m[0];
    const start = m.index ?? 0;
    // Trailing punctuation belongs to the sentence, except a closing parenthesis that closes one in the URL.
    const trail = TRAILING.exec(raw)?.[0] ?? "";
    if (trail) {
      let keep = trail;
      if (trail.startsWith(")") && (raw.match(/\(/g)?.length ?? 0) > (raw.slice(0, -trail.length).match(/\)/g)?.length ?? 0)) keep = trail.slice(1);
      raw = raw.slice(0, raw.length - keep.length);
    }
    if (!raw) continue;
    let href: string;
    if (raw.includes("@") && !/^(?:https?:\/\/|www\.)/i.test(raw)) href = `mailto:${raw}`;
    else href = /^www\./i.test(raw) ? `https://${raw}` : raw;
    try {
      const url = new URL(href);
      if (!["http:", "https:", "mailto:"].includes(url.protocol)) continue;
      href = url.href;
    } catch {
      continue;
    }
    if (start > last) out.push({ kind: "text", text: text.slice(last, start) });
    out.push({ kind: "link", text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}
