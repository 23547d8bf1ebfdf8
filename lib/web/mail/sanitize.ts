import createDOMPurify, { type DOMPurify } from "dompurify";
import { JSDOM } from "jsdom";

// Untrusted HTML mail, made safe to show: DOMPurify (in jsdom, on the server) with everything
// active or embedding removed (scripts, handlers, forms, frames, objects, SVG, MathML, meta, base,
// link), javascript: and other odd URLs dropped, and — until the reader allows it — every remote
// resource removed: <img src>, srcset, background=, CSS url() and @import. Images sent with the
// message (cid:, RFC 2392) become data: URLs. The result goes into a sandboxed iframe (no scripts,
// no same origin) under a CSP that blocks remote loads on its own, should anything slip through.

export interface InlineImage {
  contentId: string;
  mimeType: string;
  data: Buffer;
}

export interface SanitizeOptions {
  /** Let remote images (and CSS backgrounds) load. */
  allowRemote: boolean;
  inlineImages?: InlineImage[];
}

export interface SanitizedHtml {
  html: string;
  /** Remote resources removed (0 when allowRemote). */
  remoteBlocked: number;
}

const FORBID_TAGS = [
  "script", "noscript", "template", "iframe", "frame", "frameset", "object", "embed", "applet", "param",
  "form", "input", "button", "select", "option", "optgroup", "textarea", "datalist", "output", "fieldset", "legend", "label",
  "meta", "link", "base", "title", "head", "svg", "math", "audio", "video", "source", "track", "canvas", "portal", "dialog",
  "slot", "marquee", "blink", "xml", "isindex", "keygen", "menuitem",
];

const FORBID_ATTR = ["action", "formaction", "ping", "srcdoc", "xmlns", "autofocus", "tabindex", "accesskey", "contenteditable", "draggable", "popover", "is"];

// URL-bearing attribute values may name only these schemes; values without a scheme (a width, a
// class, a fragment) pass, as in DOMPurify's default. cid: and data: images are handled in the hook.
const ALLOWED_URI_REGEXP = /^(?:(?:https?|mailto|tel|cid):|[^a-z]|[a-z+.\-]+(?:[^a-z+.\-:]|$))/i;
const SAFE_DATA_IMAGE = /^data:image\/(?:png|jpe?g|gif|webp|bmp|avif);base64,[a-z0-9+/=\s]*$/i;
const REMOTE = /^\s*(?:https?:)?\/\//i;

let purifier: DOMPurify | undefined;
function getPurifier(): DOMPurify {
  if (!purifier) {
    const { window } = new JSDOM("<!doctype html><html><body></body></html>");
    purifier = createDOMPurify(window as unknown as Window & typeof globalThis);
  }
  return purifier;
}

/** CSS escapes (`\75 rl(`, `\"`) decoded and comments removed, so that url() cannot hide. */
function normalizeCss(css: string): string {
  return css
    .replace(/\/\*[\s\S]*?(\*\/|$)/g, "")
    .replace(/\\([0-9a-f]{1,6})\s?/gi, (_, hex: string) => {
      const code = parseInt(hex, 16);
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : "\ufffd";
    })
    .replace(/\\(.)/g, "$1")
    .replace(/[\x00-\x08\x0b\x0e-\x1f\x7f]/g, "");
}

/** CSS with @import gone, expression()/behaviors gone, and url()s kept only when allowed. */
export function sanitizeCss(css: string, opts: { allowRemote: boolean; cid: (id: string) => string | null; onBlocked: () => void }): string {
  let out = normalizeCss(css);
  out = out.replace(/@import\b[^;]*;?/gi, () => {
    opts.onBlocked();
    return "";
  });
  out = out.replace(/expression\s*\(|behaviou?r\s*:|-moz-binding\s*:|javascript:|vbscript:/gi, "blocked(");
  out = out.replace(/\b(url|image-set|image|cross-fade|element|src)\s*\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*))\s*\)/gi, (all, fn: string, a?: string, b?: string, c?: string) => {
    if (fn.toLowerCase() !== "url") {
      // image-set("x.png" 1x) and friends: their URLs are strings, checked one by one.
      return all.replace(/(["'])(.*?)\1/g, (s, q: string, u: string) => (REMOTE.test(u) && !opts.allowRemote ? (opts.onBlocked(), `${q}${q}`) : s));
    }
    const url = (a ?? b ?? c ?? "").trim();
    if (/^cid:/i.test(url)) {
      const data = opts.cid(url.slice(4));
      return data ? `url("${data}")` : "none";
    }
    if (SAFE_DATA_IMAGE.test(url)) return `url("${url.replace(/\s/g, "")}")`;
    // Protocol-relative URLs mean https here (the viewer's document has no address of its own).
    if (/^(?:https?:)?\/\//i.test(url) && opts.allowRemote) return `url("${(url.startsWith("//") ? "https:" + url : url).replace(/["\\\n\r]/g, "")}")`;
    opts.onBlocked();
    return "none";
  });
  return out;
}

function srcsetIsRemote(value: string): boolean {
  return value.split(",").some((c) => !/^\s*data:/i.test(c));
}

/** Sanitizes an HTML mail body (a fragment or a whole document) for the sandboxed viewer. */
export function sanitizeMailHtml(dirty: string, opts: SanitizeOptions): SanitizedHtml {
  const purify = getPurifier();
  let blocked = 0;
  const onBlocked = () => {
    blocked++;
  };
  const images = new Map<string, string>();
  for (const img of opts.inlineImages ?? []) {
    images.set(img.contentId.toLowerCase(), `data:${img.mimeType};base64,${img.data.toString("base64")}`);
  }
  const cid = (id: string) => {
    let key = id.trim();
    try {
      key = decodeURIComponent(key);
    } catch {
      // keep as is
    }
    return images.get(key.replace(/^<|>$/g, "").toLowerCase()) ?? null;
  };

  purify.addHook("uponSanitizeElement", (node, data) => {
    if (data.tagName === "style") {
      const el = node as Element;
      el.textContent = sanitizeCss(el.textContent ?? "", { allowRemote: opts.allowRemote, cid, onBlocked });
    }
  });
  purify.addHook("afterSanitizeAttributes", (node) => {
    const el = node as Element;
    if (!el.getAttribute) return;
    const tag = el.tagName.toLowerCase();

    const style = el.getAttribute("style");
    if (style) {
      const clean = sanitizeCss(style, { allowRemote: opts.allowRemote, cid, onBlocked });
      if (clean.trim()) el.setAttribute("style", clean);
      else el.removeAttribute("style");
    }

    for (const attr of ["background", "poster", "lowsrc", "dynsrc", "longdesc"]) {
      const v = el.getAttribute(attr);
      if (v === null) continue;
      if (attr === "background" && /^https?:\/\//i.test(v.trim()) && opts.allowRemote) continue;
      if (attr === "background" && /^cid:/i.test(v.trim()) && cid(v.trim().slice(4))) {
        el.setAttribute("background", cid(v.trim().slice(4))!);
        continue;
      }
      if (REMOTE.test(v)) onBlocked();
      el.removeAttribute(attr);
    }

    if (tag === "img" || tag === "input" || tag === "image") {
      const src = (el.getAttribute("src") ?? "").trim();
      if (/^cid:/i.test(src)) {
        const data = cid(src.slice(4));
        if (data) el.setAttribute("src", data);
        else {
          el.removeAttribute("src");
          el.setAttribute("alt", el.getAttribute("alt") || "[image]");
        }
      } else if (SAFE_DATA_IMAGE.test(src)) {
        // kept
      } else if (/^https?:\/\//i.test(src) || REMOTE.test(src)) {
        if (!opts.allowRemote) {
          onBlocked();
          el.removeAttribute("src");
          el.setAttribute("data-pigeon-blocked", "");
        } else if (src.startsWith("//")) {
          el.setAttribute("src", `https:${src}`);
        }
      } else if (src) {
        el.removeAttribute("src");
      }
      const srcset = el.getAttribute("srcset");
      if (srcset !== null && (!opts.allowRemote || !/^\s*(?:https:|http:|data:)/i.test(srcset)) && srcsetIsRemote(srcset)) {
        if (!opts.allowRemote) onBlocked();
        el.removeAttribute("srcset");
      }
      el.removeAttribute("usemap");
    }

    if (tag === "a" || tag === "area") {
      const href = (el.getAttribute("href") ?? "").trim();
      if (href && !/^(?:https?:|mailto:|tel:|#)/i.test(href)) el.removeAttribute("href");
      if (el.getAttribute("href") && !href.startsWith("#")) {
        el.setAttribute("target", "_blank");
        el.setAttribute("rel", "noopener noreferrer nofollow");
      }
    }
  });

  try {
    const html = purify.sanitize(dirty, {
      FORBID_TAGS,
      FORBID_ATTR,
      ALLOWED_URI_REGEXP,
      ALLOW_DATA_ATTR: false,
      ALLOW_ARIA_ATTR: true,
      FORCE_BODY: true,
      WHOLE_DOCUMENT: false,
      SANITIZE_DOM: true,
      SANITIZE_NAMED_PROPS: true,
      USE_PROFILES: { html: true },
    }) as unknown as string;
    return { html, remoteBlocked: blocked };
  } finally {
    purify.removeAllHooks();
  }
}

/** CSP of the document shown in the viewer: nothing runs, nothing remote loads unless allowed. */
export function mailFrameCsp(allowRemote: boolean): string {
  return [
    "default-src 'none'",
    `img-src data:${allowRemote ? " https: http:" : ""}`,
    "style-src 'unsafe-inline'",
    "font-src data:",
    "script-src 'none'",
    "connect-src 'none'",
    "media-src 'none'",
    "object-src 'none'",
    "frame-src 'none'",
    "child-src 'none'",
    "worker-src 'none'",
    "manifest-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join("; ");
}

const FRAME_STYLE = `
  :root { color-scheme: light; }
  html, body { margin: 0; padding: 0; background: #fff; color: #0f172a; }
  body { padding: 4px 2px 12px; font: 14px/1.5 ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; overflow-wrap: anywhere; }
  img { max-width: 100%; height: auto; }
  img[data-pigeon-blocked] { display: inline-block; min-width: 1em; min-height: 1em; background: #f1f5f9; }
  pre { white-space: pre-wrap; }
  table { max-width: 100%; }
  blockquote { margin: 0 0 0 .5em; padding-left: .75em; border-left: 2px solid #cbd5e1; color: #475569; }
  a { color: #1d4ed8; }
`;

/** The complete document for the viewer's srcdoc. */
export function mailFrameDocument(sanitized: string, allowRemote: boolean): string {
  return (
    "<!doctype html><html><head><meta charset=\"utf-8\">" +
    `<meta http-equiv="Content-Security-Policy" content="${mailFrameCsp(allowRemote)}">` +
    '<meta name="referrer" content="no-referrer">' +
    '<meta http-equiv="x-dns-prefetch-control" content="off">' +
    '<base target="_blank">' +
    `<style>${FRAME_STYLE}</style></head><body>${sanitized}</body></html>`
  );
}
