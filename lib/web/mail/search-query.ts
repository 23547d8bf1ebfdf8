import type { ImapFlow, SearchObject } from "imapflow";
import { AppError } from "../../errors.ts";
import { buildRow, type ConversationPage, type MessageRef } from "../../imap-client/conversations.ts";
import { knownMailboxes, type MailboxSummary } from "../../imap-client/mailboxes.ts";
import { compactSet, fetchSummaries, fillSnippets, type MessageSummary } from "../../imap-client/summaries.ts";

// The search box: Gmail's query language, parsed into a tree and translated to IMAP SEARCH
// (RFC 9051 §6.4.4) as imapflow's SearchObject, then run over the folders the query names (or,
// as Gmail does, every folder but Trash and Junk) with results grouped into conversations.
//
//   from: to: cc: bcc: subject:    FROM / TO / CC / BCC / SUBJECT (header substring)
//   has:attachment                 HEADER Content-Type multipart/mixed OR Content-Disposition attachment
//   is:unread is:read is:starred   UNSEEN / SEEN / FLAGGED (also is:unstarred, is:draft, is:answered)
//   in:FOLDER label:FOLDER         which folders are searched (in:anywhere: all, Trash and Junk too)
//   before: after: (older: newer:) internal date, midnight in the user's time zone (WITHIN, RFC 5032)
//   older_than: newer_than:        relative, Nd / Nw / Nm / Ny (and Nh)
//   larger: smaller: size:         RFC822.SIZE, with K / M / G suffixes
//   filename: list: deliveredto:   full-text (attachment names are indexed) / List-Id / Delivered-To
//   "quoted phrase", -negation, a OR b (also |, {a b}), (grouping), bare words: TEXT, which
//   Pigeon's IMAP server answers from the full-text index.
//
// OR binds tighter than the implicit AND, as in Gmail: `from:a OR from:b dinner` is
// (from:a OR from:b) AND dinner.

export type SearchNode =
  | { type: "and"; nodes: SearchNode[] }
  | { type: "or"; nodes: SearchNode[] }
  | { type: "not"; node: SearchNode }
  | { type: "term"; op: string | null; value: string; quoted: boolean };

const MAX_QUERY_LENGTH = 1000;
const MAX_TERMS = 64;

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { kind: "word"; text: string; quoted: boolean; negated: boolean }
  | { kind: "op"; op: string; negated: boolean }
  | { kind: "open"; close: ")" | "}"; negated: boolean }
  | { kind: "close"; close: ")" | "}" }
  | { kind: "or" };

const OPERATOR = /^([a-z_]+):(.*)$/is;

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    let negated = false;
    if (c === "-" && i + 1 < n && !/\s/.test(input[i + 1])) {
      negated = true;
      i++;
    }
    const d = input[i];
    if (d === "(" || d === "{") {
      tokens.push({ kind: "open", close: d === "(" ? ")" : "}", negated });
      i++;
      continue;
    }
    if (!negated && (d === ")" || d === "}")) {
      tokens.push({ kind: "close", close: d });
      i++;
      continue;
    }
    if (!negated && d === "|") {
      tokens.push({ kind: "or" });
      i++;
      continue;
    }
    if (d === '"') {
      const end = input.indexOf('"', i + 1);
      const text = end < 0 ? input.slice(i + 1) : input.slice(i + 1, end);
      i = end < 0 ? n : end + 1;
      tokens.push({ kind: "word", text, quoted: true, negated });
      continue;
    }
    // A bare word runs to whitespace or a bracket; `op:` followed by a quote or a group is an
    // operator applied to what follows.
    let j = i;
    while (j < n && !/[\s(){}"]/.test(input[j])) j++;
    const word = input.slice(i, j);
    const m = OPERATOR.exec(word);
    if (m && m[2] === "" && j < n && (input[j] === '"' || input[j] === "(" || input[j] === "{")) {
      tokens.push({ kind: "op", op: m[1].toLowerCase(), negated });
      i = j;
      continue;
    }
    i = j;
    if (!word) {
      // A lone quote mark or bracket after "-": skip it.
      i++;
      continue;
    }
    if (!negated && word === "OR") tokens.push({ kind: "or" });
    else if (!negated && word === "AND") continue;
    else tokens.push({ kind: "word", text: word, quoted: false, negated });
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser: query := and ; and := or* ; or := unary (OR unary)* ; unary := [-] (group | term)

function termOf(text: string, quoted: boolean, defaultOp: string | null): SearchNode {
  if (!quoted) {
    const m = OPERATOR.exec(text);
    if (m) return { type: "term", op: m[1].toLowerCase(), value: m[2], quoted: false };
  }
  return { type: "term", op: defaultOp, value: text, quoted };
}

function negate(node: SearchNode, negated: boolean): SearchNode {
  if (!negated) return node;
  return node.type === "not" ? node.node : { type: "not", node };
}

function simplify(type: "and" | "or", nodes: SearchNode[]): SearchNode {
  const flat = nodes.flatMap((n) => (n.type === type ? n.nodes : [n]));
  return flat.length === 1 ? flat[0] : { type, nodes: flat };
}

/** The query as a tree; an empty query is an empty AND (everything). */
export function parseSearchQuery(input: string): SearchNode {
  if (input.length > MAX_QUERY_LENGTH) throw new AppError("INVALID", `A search can be at most ${MAX_QUERY_LENGTH} characters.`);
  const tokens = tokenize(input);
  let pos = 0;
  let terms = 0;

  const parseAnd = (close: ")" | "}" | null, defaultOp: string | null): SearchNode => {
    const parts: SearchNode[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos];
      if (t.kind === "close") {
        if (t.close === close) break;
        pos++; // a stray closing bracket is ignored
        continue;
      }
      if (t.kind === "or") {
        pos++; // OR with nothing on its left
        continue;
      }
      parts.push(parseOr(defaultOp));
    }
    return simplify("and", parts);
  };

  const parseOr = (defaultOp: string | null): SearchNode => {
    const alternatives = [parseUnary(defaultOp)];
    while (pos < tokens.length && tokens[pos].kind === "or") {
      pos++;
      const next = tokens[pos];
      if (!next || next.kind === "close" || next.kind === "or") break;
      alternatives.push(parseUnary(defaultOp));
    }
    return simplify("or", alternatives);
  };

  const parseGroup = (open: Extract<Token, { kind: "open" }>, defaultOp: string | null): SearchNode => {
    const inner = parseAnd(open.close, defaultOp);
    if (pos < tokens.length && tokens[pos].kind === "close") pos++;
    // {a b} is Gmail's "any of".
    if (open.close === "}" && inner.type === "and") return { type: "or", nodes: inner.nodes };
    return inner;
  };

  const parseUnary = (defaultOp: string | null): SearchNode => {
    const t = tokens[pos++];
    if (++terms > MAX_TERMS) throw new AppError("INVALID", `A search can have at most ${MAX_TERMS} terms.`);
    switch (t.kind) {
      case "word":
        return negate(termOf(t.text, t.quoted, defaultOp), t.negated);
      case "open":
        return negate(parseGroup(t, defaultOp), t.negated);
      case "op": {
        const next = tokens[pos];
        if (next?.kind === "word" && next.quoted && !next.negated) {
          pos++;
          return negate({ type: "term", op: t.op, value: next.text, quoted: true }, t.negated);
        }
        if (next?.kind === "open") {
          pos++;
          return negate(negate(parseGroup(next, t.op), next.negated), t.negated);
        }
        return negate({ type: "term", op: t.op, value: "", quoted: false }, t.negated);
      }
      default:
        throw new AppError("INVALID", "That search could not be read.");
    }
  };

  const tree = parseAnd(null, null);
  return tree;
}

// ---------------------------------------------------------------------------------------------
// Translation to IMAP SEARCH

export interface CompileOptions {
  /** "Now", for older_than: / newer_than:. */
  now?: Date;
  /** IANA time zone in which before: / after: dates start (the user's); UTC by default. */
  timeZone?: string;
  /** The user's address, for from:me / to:me. */
  me?: string;
}

export interface CompiledSearch {
  /** IMAP SEARCH criteria, as imapflow takes them. */
  search: SearchObject;
  /** Folders named by in: / label: (role names like "sent" or folder names), none for the default. */
  folders: string[];
  /** in:anywhere: every folder, Trash and Junk included. */
  anywhere: boolean;
}

export function validTimeZone(tz: string | null | undefined): string {
  if (!tz) return "UTC";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return tz;
  } catch {
    return "UTC";
  }
}

/** Offset (ms) of `timeZone` from UTC at instant `t`. */
function zoneOffset(t: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** The instant local midnight of y-m-d begins in `timeZone`. */
export function zonedMidnight(y: number, m: number, d: number, timeZone = "UTC"): Date {
  const guess = Date.UTC(y, m - 1, d);
  let t = guess - zoneOffset(guess, timeZone);
  // Across a DST change the offset at the result may differ from the one at the guess.
  t = guess - zoneOffset(t, timeZone);
  return new Date(t);
}

/** Gmail's date forms: 2024/01/31, 2024-01-31, 2024/1/3, 01/31/2024, or seconds since 1970. */
export function parseSearchDate(value: string, timeZone = "UTC"): Date {
  let m = /^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})$/.exec(value);
  let y: number, mo: number, d: number;
  if (m) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else if ((m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(value))) [y, mo, d] = [Number(m[3]), Number(m[1]), Number(m[2])];
  else if (/^\d{9,11}$/.test(value)) return new Date(Number(value) * 1000);
  else throw new AppError("INVALID", `“${value}” is not a date (use YYYY/MM/DD).`);
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (mo < 1 || mo > 12 || check.getUTCDate() !== d || y < 1970 || y > 9999) throw new AppError("INVALID", `“${value}” is not a date (use YYYY/MM/DD).`);
  return zonedMidnight(y, mo, d, timeZone);
}

const AGE_UNITS: Record<string, number> = { h: 3600, d: 86400, w: 7 * 86400 };

function ageCutoff(value: string, now: Date): Date {
  const m = /^(\d{1,6})([hdwmy])$/i.exec(value);
  if (!m) throw new AppError("INVALID", `“${value}” is not an age (use 3d, 2w, 6m or 1y).`);
  const n = Number(m[1]);
  const unit = m[2].toLowerCase();
  const d = new Date(now);
  if (unit === "m") d.setUTCMonth(d.getUTCMonth() - n);
  else if (unit === "y") d.setUTCFullYear(d.getUTCFullYear() - n);
  else return new Date(now.getTime() - n * AGE_UNITS[unit] * 1000);
  return d;
}

export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(value);
  if (!m) throw new AppError("INVALID", `“${value}” is not a size (use 500K, 10M or bytes).`);
  const factor = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as "" | "k" | "m" | "g"];
  const bytes = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(bytes) || bytes > 4294967295) throw new AppError("INVALID", `“${value}” is too large a size.`);
  return bytes;
}

const ADDRESS_FIELDS = new Set(["from", "to", "cc", "bcc", "subject"]);

function compileTerm(t: Extract<SearchNode, { type: "term" }>, opts: Required<CompileOptions>): SearchObject {
  const value = t.value.trim();
  const op = t.op;
  if (op === null) {
    if (!value) return { all: true };
    return { text: value };
  }
  if (!value) throw new AppError("INVALID", `Say what to look for after “${op}:”.`);
  if (ADDRESS_FIELDS.has(op)) {
    // Gmail's from:me / to:me.
    const v = op !== "subject" && value.toLowerCase() === "me" && opts.me ? opts.me : value;
    return { [op]: v } as SearchObject;
  }
  switch (op) {
    case "has":
      switch (value.toLowerCase()) {
        case "attachment":
        case "attachments":
          // No IMAP key says "has an attachment"; a message with one is multipart/mixed, or a single
          // part sent as an attachment.
          return { or: [{ header: { "content-type": "multipart/mixed" } }, { header: { "content-disposition": "attachment" } }] };
        case "star":
        case "yellow-star":
          return { flagged: true };
        default:
          throw new AppError("INVALID", `Pigeon cannot search for has:${value}.`);
      }
    case "is":
      switch (value.toLowerCase()) {
        case "unread":
          return { seen: false };
        case "read":
          return { seen: true };
        case "starred":
        case "flagged":
          return { flagged: true };
        case "unstarred":
          return { flagged: false };
        case "draft":
          return { draft: true };
        case "answered":
        case "replied":
          return { answered: true };
        default:
          throw new AppError("INVALID", `Pigeon cannot search for is:${value}.`);
      }
    case "before":
    case "older":
      return { before: parseSearchDate(value, opts.timeZone) };
    case "after":
    case "newer":
      return { since: parseSearchDate(value, opts.timeZone) };
    case "older_than":
      return { before: ageCutoff(value, opts.now) };
    case "newer_than":
      return { since: ageCutoff(value, opts.now) };
    case "larger":
    case "size":
      return { larger: parseSize(value) };
    case "smaller":
      return { smaller: parseSize(value) };
    case "filename":
      // The full-text index holds attachment names.
      return { body: value };
    case "list":
      return { header: { "list-id": value } };
    case "deliveredto":
      return { header: { "delivered-to": value } };
    case "rfc822msgid":
      return { header: { "message-id": value } };
    default:
      // Not an operator Gmail or Pigeon knows: the words themselves.
      return { text: `${op}:${value}` };
  }
}

/**
 * AND of several criteria as one SearchObject. imapflow writes an object's keys one after the other
 * (an implicit AND), but an object has each key once: criteria whose keys clash go into a
 * one-element `or` (written inline), and a second OR group into `not: { not: … }` (NOT NOT x is x).
 */
export function andAll(parts: SearchObject[]): SearchObject {
  const real = parts.filter((p) => !(Object.keys(p).length === 1 && p.all === true));
  if (real.length === 0) return { all: true };
  if (real.length === 1) return real[0];
  const out: SearchObject = {};
  const rest: SearchObject[] = [];
  for (const p of real) {
    if (Object.keys(p).some((k) => k in out)) rest.push(p);
    else Object.assign(out, p);
  }
  if (rest.length === 0) return out;
  const nested = andAll(rest);
  if (!("or" in out)) return { ...out, or: [nested] };
  if (!("not" in out)) return { ...out, not: { not: nested } };
  // Both slots taken: this level's OR goes down with the rest.
  const { or, ...others } = out;
  return { ...others, or: [andAll([{ or }, nested])] };
}

function compileNode(node: SearchNode, opts: Required<CompileOptions>): SearchObject {
  switch (node.type) {
    case "term":
      return compileTerm(node, opts);
    case "not": {
      const inner = compileNode(node.node, opts);
      if (Object.keys(inner).length === 1 && inner.all === true) throw new AppError("INVALID", "Negate a word or an operator, not nothing.");
      return { not: inner };
    }
    case "and":
      return andAll(node.nodes.map((n) => compileNode(n, opts)));
    case "or": {
      const alternatives = node.nodes.map((n) => compileNode(n, opts));
      if (alternatives.some((a) => Object.keys(a).length === 1 && a.all === true)) return { all: true };
      return alternatives.length === 1 ? alternatives[0] : { or: alternatives };
    }
  }
}

const FOLDER_OPS = new Set(["in", "label"]);

function containsFolderOp(node: SearchNode): boolean {
  switch (node.type) {
    case "term":
      return node.op !== null && FOLDER_OPS.has(node.op);
    case "not":
      return containsFolderOp(node.node);
    default:
      return node.nodes.some(containsFolderOp);
  }
}

/** The IMAP SEARCH for a query, and the folders it names. */
export function compileSearchQuery(input: string | SearchNode, options: CompileOptions = {}): CompiledSearch {
  const opts: Required<CompileOptions> = { now: options.now ?? new Date(), timeZone: validTimeZone(options.timeZone), me: options.me ?? "" };
  const tree = typeof input === "string" ? parseSearchQuery(input) : input;
  const top = tree.type === "and" ? tree.nodes : [tree];
  const folders: string[] = [];
  let anywhere = false;
  const rest: SearchNode[] = [];
  for (const n of top) {
    if (n.type === "term" && n.op !== null && FOLDER_OPS.has(n.op)) {
      const name = n.value.trim();
      if (!name) throw new AppError("INVALID", `Say which folder after “${n.op}:”.`);
      if (name.toLowerCase() === "anywhere" || name.toLowerCase() === "all") anywhere = true;
      else if (["starred", "flagged"].includes(name.toLowerCase())) rest.push({ type: "term", op: "is", value: "starred", quoted: false });
      else if (name.toLowerCase() === "unread") rest.push({ type: "term", op: "is", value: "unread", quoted: false });
      else folders.push(name);
      continue;
    }
    if (containsFolderOp(n)) throw new AppError("INVALID", "in: can only narrow a search (it cannot be negated or OR-ed).");
    rest.push(n);
  }
  if (folders.length > 1) throw new AppError("INVALID", "Search one folder at a time (a message is in only one).");
  return { search: andAll(rest.map((n) => compileNode(n, opts))), folders, anywhere };
}

// ---------------------------------------------------------------------------------------------
// Running a search: results as conversations

const ROLE_ALIASES: Record<string, MailboxSummary["role"]> = {
  inbox: "inbox",
  sent: "sent",
  "sent mail": "sent",
  sentmail: "sent",
  drafts: "drafts",
  draft: "drafts",
  archive: "archive",
  archived: "archive",
  spam: "junk",
  junk: "junk",
  trash: "trash",
  bin: "trash",
  deleted: "trash",
};

/** The folders a compiled search runs in. */
export function searchFolders(compiled: CompiledSearch, mailboxes: MailboxSummary[]): MailboxSummary[] {
  const selectable = mailboxes.filter((m) => m.selectable);
  if (compiled.folders.length) {
    const name = compiled.folders[0];
    const lower = name.toLowerCase();
    const role = ROLE_ALIASES[lower];
    const found =
      selectable.find((m) => m.path === name) ??
      (role ? selectable.find((m) => m.role === role) : undefined) ??
      selectable.find((m) => m.path.toLowerCase() === lower) ??
      selectable.find((m) => m.name.toLowerCase() === lower) ??
      // Gmail writes nested labels with "-" or "/" for spaces and levels.
      selectable.find((m) => m.path.toLowerCase().replace(/[\s/.]/g, "-") === lower.replace(/[\s/.]/g, "-"));
    if (!found) throw new AppError("NOT_FOUND", `There is no folder called “${name}”.`);
    return [found];
  }
  if (compiled.anywhere) return selectable;
  return selectable.filter((m) => m.role !== "trash" && m.role !== "junk");
}

export interface SearchConversationsInput {
  query: string;
  cursor?: string | null;
  limit?: number;
  timeZone?: string;
  now?: Date;
  me?: string;
}

/** Hits read per folder at most (the newest); beyond this a search is narrowed, not paged. */
const MAX_HITS_PER_FOLDER = 5000;

interface LightHit {
  mailbox: string;
  uid: number;
  threadId: string | null;
  date: number;
  seen: boolean;
  flagged: boolean;
}

/**
 * One page of conversations matching `query`, newest first, across the folders it names (every
 * folder but Trash and Junk by default). Each folder is searched with one UID SEARCH and its hits
 * read lightly (UID FLAGS THREADID INTERNALDATE); only the page's messages are read in full.
 * Cursor: "s.<offset>" into the list of matching conversations.
 */
export async function searchConversations(client: ImapFlow, input: SearchConversationsInput): Promise<ConversationPage & { folders: string[] }> {
  const limit = Math.min(Math.max(input.limit ?? 50, 1), 200);
  const offset = Number(/^s\.(\d+)$/.exec(input.cursor ?? "")?.[1] ?? 0);
  const compiled = compileSearchQuery(input.query, { timeZone: input.timeZone, now: input.now, me: input.me });
  const folders = searchFolders(compiled, await knownMailboxes(client));

  const hits: LightHit[] = [];
  for (const f of folders) {
    // A pooled connection may have had the folder selected for a while: NOOP brings in what
    // arrived since (the server tells a session about new messages only then).
    const wasSelected = client.mailbox && client.mailbox.path === f.path;
    const lock = await client.getMailboxLock(f.path, { acquireTimeout: 15_000 });
    try {
      if (wasSelected) await client.noop();
      const found = await client.search(compiled.search, { uid: true });
      const uids = (Array.isArray(found) ? found : []).sort((a, b) => b - a).slice(0, MAX_HITS_PER_FOLDER);
      if (uids.length === 0) continue;
      const rows = await client.fetchAll(compactSet(uids), { uid: true, flags: true, threadId: true, internalDate: true }, { uid: true });
      for (const r of rows) {
        const flags = r.flags ?? new Set<string>();
        const date = r.internalDate instanceof Date ? r.internalDate.getTime() : r.internalDate ? new Date(r.internalDate).getTime() : 0;
        hits.push({ mailbox: f.path, uid: r.uid, threadId: r.threadId ?? null, date, seen: flags.has("\\Seen"), flagged: flags.has("\\Flagged") });
      }
    } finally {
      lock.release();
    }
  }

  hits.sort((a, b) => b.date - a.date || b.uid - a.uid);
  const groups = new Map<string, LightHit[]>();
  for (const h of hits) {
    const key = h.threadId ?? `${h.mailbox}#${h.uid}`;
    const list = groups.get(key) ?? [];
    list.push(h);
    groups.set(key, list);
  }
  const page = [...groups.values()].slice(offset, offset + limit);

  // Full summaries for the page's messages (the newest few of each conversation), folder by folder.
  const wanted = new Map<string, number[]>();
  for (const g of page) {
    for (const h of g.slice(0, 4)) wanted.set(h.mailbox, [...(wanted.get(h.mailbox) ?? []), h.uid]);
  }
  const full = new Map<string, MessageSummary>();
  const heads = new Set(page.map((g) => `${g[0].mailbox}#${g[0].uid}`));
  for (const [path, uids] of wanted) {
    const lock = await client.getMailboxLock(path, { acquireTimeout: 15_000 });
    try {
      const summaries = await fetchSummaries(client, uids, { uid: true });
      await fillSnippets(client, summaries.filter((s) => heads.has(`${s.mailbox}#${s.uid}`)));
      for (const s of summaries) full.set(`${s.mailbox}#${s.uid}`, s);
    } finally {
      lock.release();
    }
  }

  const rows = [];
  for (const g of page) {
    const head = full.get(`${g[0].mailbox}#${g[0].uid}`);
    if (!head) continue; // expunged meanwhile
    const members = g.map((h) => full.get(`${h.mailbox}#${h.uid}`)).filter((s): s is MessageSummary => !!s);
    const light: MessageRef[] = g.map((h) => ({ mailbox: h.mailbox, uid: h.uid, seen: h.seen, flagged: h.flagged }));
    rows.push(buildRow(head, members, light));
  }
  return {
    mailbox: folders.length === 1 ? folders[0].path : "",
    total: groups.size,
    rows,
    nextCursor: offset + limit < groups.size ? `s.${offset + limit}` : null,
    folders: folders.map((f) => f.path),
  };
}
