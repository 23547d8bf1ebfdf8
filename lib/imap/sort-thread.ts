import type { ThreadNode } from "./compiler.ts";
import type { SortCriterion } from "./parser.ts";
import type { SortFields } from "./store-adapter.ts";

// SORT and THREAD (RFC 5256, DISPLAYFROM/DISPLAYTO from RFC 5957), pure: base subjects, sort
// keys, and the ORDEREDSUBJECT and REFERENCES threading algorithms over one search result.

/** RFC 5256 §2.1 base subject, uppercased; `reply` tells whether a Re:/Fwd: marker was removed. */
export function baseSubject(subject: string): { base: string; reply: boolean } {
  let s = subject.replace(/[\t\r\n ]+/g, " ").trim();
  let reply = false;
  for (;;) {
    // (2) trailers: "(fwd)" and whitespace
    for (;;) {
      const t = s.replace(/(\s*\(fwd\))+\s*$/i, "");
      if (t === s) break;
      s = t.trim();
      reply = true;
    }
    // (3)-(4) leaders: blobs and re/fw/fwd followed by ":", repeatedly
    for (;;) {
      const leader = /^((\[[^[\]]*\]\s*)*)(re|fwd?)\s*(\[[^[\]]*\]\s*)?:\s*/i.exec(s);
      if (leader) {
        s = s.slice(leader[0].length);
        reply = true;
        continue;
      }
      const blob = /^\[[^[\]]*\]\s*/.exec(s);
      if (blob && s.length > blob[0].length) {
        s = s.slice(blob[0].length);
        continue;
      }
      break;
    }
    // (6) "[fwd: … ]" wrapper
    const wrapped = /^\[fwd:\s*(.*)\]$/i.exec(s);
    if (wrapped) {
      s = wrapped[1].trim();
      reply = true;
      continue;
    }
    break;
  }
  return { base: s.toUpperCase(), reply };
}

type Addr = SortFields["from"];

function decodeWords(s: string): string {
  return s.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, _charset: string, enc: string, text: string) => {
    try {
      if (enc.toUpperCase() === "B") return Buffer.from(text, "base64").toString("utf8");
      return Buffer.from(
        text.replace(/_/g, " ").replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
        "latin1",
      ).toString("utf8");
    } catch {
      return text;
    }
  });
}

function addrMailbox(a: Addr): string {
  return (a?.mailbox ?? "").toLowerCase();
}

/** RFC 5957 §3: the display name when there is one, else the address. */
function displayOf(a: Addr): string {
  if (!a) return "";
  const name = a.name ? decodeWords(a.name).trim() : "";
  if (name) return name.toLowerCase();
  return `${a.mailbox ?? ""}@${a.host ?? ""}`.toLowerCase();
}

function sentTime(m: SortFields): number {
  return (m.sentDate ?? m.internalDate).getTime();
}

function compareBy(criterion: SortCriterion["key"], a: SortFields, b: SortFields): number {
  const cmp = (x: string | number, y: string | number) => (x < y ? -1 : x > y ? 1 : 0);
  switch (criterion) {
    case "ARRIVAL":
      return cmp(a.internalDate.getTime(), b.internalDate.getTime());
    case "DATE":
      return cmp(sentTime(a), sentTime(b));
    case "SIZE":
      return cmp(a.size, b.size);
    case "SUBJECT":
      return cmp(baseSubject(a.subject).base, baseSubject(b.subject).base);
    case "FROM":
      return cmp(addrMailbox(a.from), addrMailbox(b.from));
    case "TO":
      return cmp(addrMailbox(a.to), addrMailbox(b.to));
    case "CC":
      return cmp(addrMailbox(a.cc), addrMailbox(b.cc));
    case "DISPLAYFROM":
      return cmp(displayOf(a.from), displayOf(b.from));
    case "DISPLAYTO":
      return cmp(displayOf(a.to), displayOf(b.to));
  }
}

/** UIDs in SORT order; ties go by UID, i.e. by sequence number (RFC 5256 §3). */
export function sortMessages(messages: SortFields[], criteria: SortCriterion[]): number[] {
  const withSubjects = messages.map((m) => m);
  withSubjects.sort((a, b) => {
    for (const c of criteria) {
      const r = compareBy(c.key, a, b);
      if (r !== 0) return c.reverse ? -r : r;
    }
    return a.uid - b.uid;
  });
  return withSubjects.map((m) => m.uid);
}

/** THREAD=ORDEREDSUBJECT (RFC 5256 §3): by base subject, each thread flat under its first message. */
export function threadOrderedSubject(messages: SortFields[]): ThreadNode[] {
  const sorted = [...messages].sort((a, b) => {
    const s = baseSubject(a.subject).base.localeCompare(baseSubject(b.subject).base);
    return s !== 0 ? s : sentTime(a) - sentTime(b) || a.uid - b.uid;
  });
  const threads: { first: SortFields; node: ThreadNode }[] = [];
  let lastSubject: string | null = null;
  for (const m of sorted) {
    const subject = baseSubject(m.subject).base;
    if (subject === lastSubject && threads.length > 0) {
      threads[threads.length - 1].node.children.push({ id: m.uid, children: [] });
    } else {
      threads.push({ first: m, node: { id: m.uid, children: [] } });
      lastSubject = subject;
    }
  }
  threads.sort((a, b) => sentTime(a.first) - sentTime(b.first) || a.first.uid - b.first.uid);
  return threads.map((t) => t.node);
}

interface Container {
  message?: SortFields;
  parent?: Container;
  children: Container[];
}

function isAncestor(candidate: Container, of: Container): boolean {
  for (let c: Container | undefined = of; c; c = c.parent) if (c === candidate) return true;
  return false;
}

function unlink(c: Container): void {
  if (!c.parent) return;
  c.parent.children = c.parent.children.filter((x) => x !== c);
  c.parent = undefined;
}

function link(parent: Container, child: Container): void {
  unlink(child);
  child.parent = parent;
  parent.children.push(child);
}

/** THREAD=REFERENCES (RFC 5256 §3, after JWZ's algorithm). */
export function threadReferences(messages: SortFields[]): ThreadNode[] {
  const byId = new Map<string, Container>();
  const containers: Container[] = [];
  const containerFor = (id: string): Container => {
    let c = byId.get(id);
    if (!c) {
      c = { children: [] };
      byId.set(id, c);
      containers.push(c);
    }
    return c;
  };
  // (1) link by Message-ID / References / In-Reply-To
  for (const m of [...messages].sort((a, b) => a.uid - b.uid)) {
    let own: Container;
    const existing = m.messageId ? byId.get(m.messageId) : undefined;
    if (m.messageId && existing && !existing.message) own = existing;
    else if (m.messageId && !existing) own = containerFor(m.messageId);
    else {
      // No Message-ID, or a duplicate one: a container of its own.
      own = { children: [] };
      containers.push(own);
    }
    own.message = m;
    const refs = m.references.length > 0 ? m.references : m.inReplyTo ? [m.inReplyTo] : [];
    let prev: Container | undefined;
    for (const ref of refs) {
      const c = containerFor(ref);
      if (prev && !c.parent && c !== prev && !isAncestor(c, prev)) link(prev, c);
      prev = c;
    }
    if (prev && prev !== own && !isAncestor(own, prev)) link(prev, own);
    else if (!prev) unlink(own);
  }
  // (2) root set
  let roots = containers.filter((c) => !c.parent);
  // (4) prune empty containers
  const prune = (list: Container[], atRoot: boolean): Container[] => {
    const out: Container[] = [];
    for (const c of list) {
      c.children = prune(c.children, false);
      for (const child of c.children) child.parent = c;
      if (!c.message && c.children.length === 0) continue;
      if (!c.message && (!atRoot || c.children.length === 1)) {
        for (const child of c.children) child.parent = undefined;
        out.push(...c.children);
        continue;
      }
      out.push(c);
    }
    return out;
  };
  roots = prune(roots, true);
  for (const r of roots) r.parent = undefined;
  // (5) gather threads with the same base subject
  const subjectOf = (c: Container) => (c.message ?? c.children[0]?.message)?.subject ?? "";
  const table = new Map<string, Container>();
  for (const r of roots) {
    const { base, reply } = baseSubject(subjectOf(r));
    if (!base) continue;
    const old = table.get(base);
    if (!old || (!r.message && old.message) || (old.message && baseSubject(old.message.subject).reply && !reply && r.message)) {
      table.set(base, r);
    }
  }
  const candidates: Container[] = [...roots];
  for (const r of roots) {
    if (r.parent) continue;
    const { base, reply } = baseSubject(subjectOf(r));
    const target = base ? table.get(base) : undefined;
    if (!target || target === r) continue;
    if (!target.message && !r.message) {
      for (const child of [...r.children]) link(target, child);
    } else if (!target.message && r.message) {
      link(target, r);
    } else if (r.message && reply && target.message && !baseSubject(target.message.subject).reply) {
      link(target, r);
    } else {
      // Neither is the other's reply: both under a new empty container, where the target was.
      const dummy: Container = { children: [] };
      link(dummy, target);
      link(dummy, r);
      candidates.push(dummy);
      table.set(base, dummy);
    }
  }
  // (6) order siblings by sent date; an empty container sorts as its first child
  const dateOf = (c: Container): number => (c.message ? sentTime(c.message) : c.children.length ? dateOf(c.children[0]) : 0);
  const uidOf = (c: Container): number => (c.message ? c.message.uid : c.children.length ? uidOf(c.children[0]) : 0);
  const order = (list: Container[]) => {
    for (const c of list) order(c.children);
    list.sort((a, b) => dateOf(a) - dateOf(b) || uidOf(a) - uidOf(b));
  };
  const finalRoots = candidates.filter((c) => !c.parent);
  order(finalRoots);
  const toNode = (c: Container): ThreadNode =>
    c.message ? { id: c.message.uid, children: c.children.map(toNode) } : { children: c.children.map(toNode) };
  return finalRoots.map(toNode);
}
