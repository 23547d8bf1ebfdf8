import createDOMPurify, { type DOMPurify } from "dompurify";
import { JSDOM } from "jsdom";

// The compose editor's HTML on its way out: only the formatting the editor makes (and quoted
// mail carries) is kept, and a plain-text alternative is written from it (RFC 2046 §5.1.4
// multipart/alternative), quotes as "> " lines and links as "text <url>".

const ALLOWED_TAGS = [
  "p", "br", "div", "span", "strong", "b", "em", "i", "u", "s", "strike", "del", "code", "pre", "blockquote",
  "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "td", "th", "font", "sub", "sup",
];
const ALLOWED_ATTR = ["href", "title", "colspan", "rowspan", "dir", "class", "type", "start"];

let purifier: DOMPurify | undefined;
let jsdomWindow: Window | undefined;

function dom(): Window {
  jsdomWindow ??= new JSDOM("<!doctype html><html><body></body></html>").window as unknown as Window;
  return jsdomWindow;
}

function purify(): DOMPurify {
  purifier ??= createDOMPurify(dom() as unknown as Window & typeof globalThis);
  return purifier;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** The editor's HTML with nothing but formatting and links (http, https, mailto). */
export function sanitizeComposeHtml(html: string): string {
  return purify().sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
    KEEP_CONTENT: true,
  }) as unknown as string;
}

/** Plain text as HTML paragraphs (signatures, plain drafts from other clients). */
export function textToHtml(text: string): string {
  return text
    .replace(/\r\n/g, "\n")
    .split(/\n{2,}/)
    .map((para) => `<p>${escapeHtml(para).replace(/\n/g, "<br>")}</p>`)
    .join("");
}

const BLOCKS = new Set(["P", "DIV", "H1", "H2", "H3", "H4", "H5", "H6", "UL", "OL", "LI", "PRE", "BLOCKQUOTE", "TABLE", "TR", "HR"]);

/** The plain-text alternative of an HTML body. */
export function htmlToPlainText(html: string): string {
  const doc = new (dom() as unknown as { DOMParser: typeof DOMParser }).DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  const lines: string[] = [];
  let current = "";
  const flush = (force = false) => {
    if (current !== "" || force) lines.push(current.replace(/[ \t]+$/g, ""));
    current = "";
  };
  const walk = (node: Node, prefix: string, listIndex: { n: number; ordered: boolean } | null) => {
    if (node.nodeType === 3) {
      const text = (node.textContent ?? "").replace(/\s+/g, " ");
      if (current === "" ) current = prefix + text.replace(/^ /, "");
      else current += text;
      return;
    }
    if (node.nodeType !== 1) return;
    const el = node as Element;
    const tag = el.tagName;
    if (tag === "BR") {
      flush(true);
      current = "";
      return;
    }
    if (tag === "HR") {
      flush();
      lines.push(prefix + "----");
      return;
    }
    const block = BLOCKS.has(tag);
    if (block) flush();
    let childPrefix = prefix;
    let childList = listIndex;
    if (tag === "BLOCKQUOTE") childPrefix = prefix + "> ";
    if (tag === "UL" || tag === "OL") childList = { n: 0, ordered: tag === "OL" };
    if (tag === "LI" && listIndex) {
      listIndex.n++;
      current = prefix + (listIndex.ordered ? `${listIndex.n}. ` : "- ");
    }
    if (tag === "PRE") {
      for (const line of (el.textContent ?? "").split("\n")) lines.push(prefix + line);
      return;
    }
    for (const child of Array.from(el.childNodes)) walk(child, childPrefix, childList);
    if (tag === "A") {
      const href = el.getAttribute("href") ?? "";
      const text = (el.textContent ?? "").trim();
      if (href && href !== text && href !== `mailto:${text}`) current += ` <${href}>`;
    }
    if (block) {
      flush();
      // A paragraph ends with an empty line, as a reader of plain text expects.
      if (tag === "P" || tag === "BLOCKQUOTE" || tag === "UL" || tag === "OL") {
        if (lines.length && lines[lines.length - 1] !== prefix.trimEnd()) lines.push(prefix.trimEnd());
      }
    }
  };
  walk(doc.body, "", null);
  flush();
  // A blank (or quote-only) line followed by another, or by the end, is one too many.
  const blank = (l: string) => /^[> ]*$/.test(l);
  const kept = lines.filter((l, i) => !(blank(l) && (i + 1 >= lines.length || blank(lines[i + 1]))));
  return kept.join("\n").trim() + "\n";
}
