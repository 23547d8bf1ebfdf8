// The raw MIME tree of a message with byte offsets into the stored bytes, computed once at delivery.
// IMAP needs it for BODYSTRUCTURE (RFC 3501 §7.4.2, sizes and line counts of the encoded parts)
// and for BODY[section] (RFC 3501 §6.4.5), which slices the stored bytes without re-parsing.

export interface MimeParams {
  [name: string]: string;
}

export interface MimeNode {
  /** Offset of the part's first header byte. */
  headerStart: number;
  /** Offset of the first body byte (after the blank line ending the header). */
  bodyStart: number;
  /** Offset just past the part's last body byte. */
  bodyEnd: number;
  type: string;
  subtype: string;
  params: MimeParams;
  id: string | null;
  description: string | null;
  encoding: string;
  md5: string | null;
  disposition: { type: string; params: MimeParams } | null;
  language: string[] | null;
  location: string | null;
  /** Body lines (text/* and message/rfc822). */
  lines: number;
  parts?: MimeNode[];
  /** message/rfc822: the enclosed message. */
  message?: MimeNode;
  /** message/rfc822: the enclosed message's envelope source headers. */
  headers?: RawHeader[];
}

export interface RawHeader {
  name: string;
  /** Unfolded value, undecoded. */
  value: string;
}

const MAX_DEPTH = 30;
const MAX_PARTS = 2000;

/** Finds the end of the header block: returns [headerEnd, bodyStart]. */
function findHeaderEnd(buf: Buffer, start: number, end: number): [number, number] {
  // An empty header: the part starts with the blank line itself.
  if (buf[start] === 0x0d && buf[start + 1] === 0x0a) return [start, Math.min(start + 2, end)];
  if (buf[start] === 0x0a) return [start, Math.min(start + 1, end)];
  let i = start;
  while (i < end) {
    const nl = buf.indexOf(0x0a, i);
    if (nl < 0 || nl >= end) return [end, end];
    const next = nl + 1;
    if (next < end && buf[next] === 0x0a) return [next, next + 1];
    if (next + 1 < end && buf[next] === 0x0d && buf[next + 1] === 0x0a) return [next, next + 2];
    if (next >= end) return [end, end];
    i = next;
  }
  return [end, end];
}

export function parseHeaderBlock(text: string): RawHeader[] {
  const headers: RawHeader[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "") continue;
    if ((line[0] === " " || line[0] === "\t") && headers.length > 0) {
      headers[headers.length - 1].value += " " + line.trim();
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

function header(headers: RawHeader[], name: string): string | null {
  const h = headers.find((x) => x.name === name);
  return h ? h.value : null;
}

/** Splits `value; a=b; c="d e"` into the value and its parameters (RFC 2045 §5.1, RFC 2231 kept raw). */
export function parseStructuredHeader(input: string): { value: string; params: MimeParams } {
  const params: MimeParams = {};
  let i = input.indexOf(";");
  const value = (i < 0 ? input : input.slice(0, i)).trim();
  while (i >= 0 && i < input.length) {
    i++;
    while (i < input.length && /[\s;]/.test(input[i])) i++;
    const eq = input.indexOf("=", i);
    if (eq < 0) break;
    const name = input.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (j < input.length && (input[j] === " " || input[j] === "\t")) j++;
    let val = "";
    if (input[j] === '"') {
      j++;
      while (j < input.length && input[j] !== '"') {
        if (input[j] === "\\" && j + 1 < input.length) j++;
        val += input[j];
        j++;
      }
      j++;
      const semi = input.indexOf(";", j);
      i = semi;
    } else {
      const semi = input.indexOf(";", j);
      val = (semi < 0 ? input.slice(j) : input.slice(j, semi)).trim();
      i = semi;
    }
    if (name && !(name in params)) params[name] = val;
    if (i < 0) break;
  }
  return { value, params };
}

function countLines(buf: Buffer, start: number, end: number): number {
  let n = 0;
  let i = buf.indexOf(0x0a, start);
  while (i >= 0 && i < end) {
    n++;
    i = buf.indexOf(0x0a, i + 1);
  }
  // A last line without a line ending still counts as a line.
  if (end > start && buf[end - 1] !== 0x0a) n++;
  return n;
}

interface Budget {
  parts: number;
}

function parseNode(
  buf: Buffer,
  start: number,
  end: number,
  depth: number,
  defaultType: [string, string],
  budget: Budget,
): MimeNode {
  budget.parts++;
  const [headerEnd, bodyStart] = findHeaderEnd(buf, start, end);
  const headers = parseHeaderBlock(buf.toString("utf8", start, headerEnd));
  const ct = header(headers, "content-type");
  let type = defaultType[0];
  let subtype = defaultType[1];
  let params: MimeParams = {};
  if (ct) {
    const parsed = parseStructuredHeader(ct);
    const [t, s] = parsed.value.toLowerCase().split("/");
    if (t && s && /^[a-z0-9!#$&^_.+-]+$/.test(t) && /^[a-z0-9!#$&^_.+-]+$/.test(s)) {
      type = t;
      subtype = s;
      params = parsed.params;
    } else {
      type = "text";
      subtype = "plain";
      params = { charset: "us-ascii" };
    }
  }
  if (type === "text" && !params.charset) params = { charset: "us-ascii", ...params };
  const disp = header(headers, "content-disposition");
  const dispParsed = disp ? parseStructuredHeader(disp) : null;
  const lang = header(headers, "content-language");
  const node: MimeNode = {
    headerStart: start,
    bodyStart,
    bodyEnd: end,
    type,
    subtype,
    params,
    id: header(headers, "content-id"),
    description: header(headers, "content-description"),
    encoding: (header(headers, "content-transfer-encoding") ?? "7bit").toLowerCase(),
    md5: header(headers, "content-md5"),
    disposition: dispParsed && dispParsed.value ? { type: dispParsed.value.toLowerCase(), params: dispParsed.params } : null,
    language: lang ? lang.split(",").map((l) => l.trim()).filter(Boolean) : null,
    location: header(headers, "content-location"),
    lines: 0,
  };

  const canNest = depth < MAX_DEPTH && budget.parts < MAX_PARTS;
  if (type === "multipart" && params.boundary && canNest) {
    node.parts = splitMultipart(buf, bodyStart, end, params.boundary).map((p) =>
      parseNode(buf, p[0], p[1], depth + 1, subtype === "digest" ? ["message", "rfc822"] : ["text", "plain"], budget),
    );
    if (node.parts.length === 0) {
      // RFC 3501 requires at least one part; an unterminated multipart is shown as one empty text part.
      node.parts = [emptyText(bodyStart)];
    }
  } else if (type === "multipart") {
    node.parts = [emptyText(bodyStart)];
  } else if (type === "message" && (subtype === "rfc822" || subtype === "global") && canNest) {
    node.lines = countLines(buf, bodyStart, end);
    const inner = parseNode(buf, bodyStart, end, depth + 1, ["text", "plain"], budget);
    node.message = inner;
    const [innerHeaderEnd] = findHeaderEnd(buf, bodyStart, end);
    node.headers = parseHeaderBlock(buf.toString("utf8", bodyStart, innerHeaderEnd));
  } else if (type === "text") {
    node.lines = countLines(buf, bodyStart, end);
  }
  return node;
}

function emptyText(at: number): MimeNode {
  return {
    headerStart: at,
    bodyStart: at,
    bodyEnd: at,
    type: "text",
    subtype: "plain",
    params: { charset: "us-ascii" },
    id: null,
    description: null,
    encoding: "7bit",
    md5: null,
    disposition: null,
    language: null,
    location: null,
    lines: 0,
  };
}

/** Returns [start, end) of each body part between `--boundary` delimiter lines (RFC 2046 §5.1.1). */
function splitMultipart(buf: Buffer, start: number, end: number, boundary: string): [number, number][] {
  const delim = Buffer.from("--" + boundary, "latin1");
  const parts: [number, number][] = [];
  let partStart = -1;
  let pos = start;
  while (pos < end) {
    const idx = buf.indexOf(delim, pos);
    if (idx < 0 || idx >= end) break;
    const atLineStart = idx === start || buf[idx - 1] === 0x0a;
    const after = idx + delim.length;
    if (!atLineStart) {
      pos = after;
      continue;
    }
    const closing = buf[after] === 0x2d && buf[after + 1] === 0x2d;
    // The CRLF before the delimiter belongs to the delimiter.
    let partEnd = idx;
    if (partEnd > start && buf[partEnd - 1] === 0x0a) partEnd--;
    if (partEnd > start && buf[partEnd - 1] === 0x0d) partEnd--;
    if (partStart >= 0) parts.push([partStart, Math.max(partStart, partEnd)]);
    if (closing) return parts;
    const eol = buf.indexOf(0x0a, after);
    if (eol < 0 || eol >= end) {
      partStart = -1;
      break;
    }
    partStart = eol + 1;
    pos = partStart;
  }
  // No closing delimiter: the last part runs to the end.
  if (partStart >= 0 && partStart <= end) parts.push([partStart, end]);
  return parts;
}

export function parseMimeStructure(buf: Buffer): MimeNode {
  return parseNode(buf, 0, buf.length, 0, ["text", "plain"], { parts: 0 });
}

/** The top-level header of a message, unfolded and undecoded. */
export function parseTopHeaders(buf: Buffer): RawHeader[] {
  const [headerEnd] = findHeaderEnd(buf, 0, buf.length);
  return parseHeaderBlock(buf.toString("utf8", 0, headerEnd));
}
