import { listMailboxes, type MailboxInfo } from "../../mail/mailboxes.ts";
import { HIERARCHY_DELIMITER } from "../../mail/special-use.ts";
import { AUTHENTICATED, ok, type CommandSpec } from "../command.ts";
import { compileList, compileStatusData } from "../compiler.ts";
import { parseListArgs, parseLsubArgs } from "../parser.ts";
import { statusValues } from "../status-values.ts";

// LIST (RFC 9051 §6.3.9) with LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819), SPECIAL-USE
// (RFC 6154) and CHILDREN (RFC 3348); LSUB (RFC 3501 §6.3.9). Levels that exist only as the
// parent of another mailbox are listed as \NonExistent (\Noselect for IMAP4rev1 basic LIST).

const D = HIERARCHY_DELIMITER;

interface Node {
  name: string;
  box?: MailboxInfo;
  hasChildren: boolean;
  /** A descendant (not the node itself) matches the selection criteria (RECURSIVEMATCH). */
  childMatches: boolean;
}

/** `*` matches anything, `%` anything but the delimiter (RFC 9051 §6.3.9); INBOX in any case. */
export function patternToRegExp(pattern: string): RegExp {
  let p = pattern;
  if (/^inbox(?=$|[/*%])/i.test(p)) p = "INBOX" + p.slice(5);
  let re = "";
  for (const ch of p) {
    if (ch === "*") re += ".*";
    else if (ch === "%") re += `[^${D}]*`;
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s");
}

function parentsOf(name: string): string[] {
  const levels = name.split(D);
  const out: string[] = [];
  for (let i = 1; i < levels.length; i++) out.push(levels.slice(0, i).join(D));
  return out;
}

/** Every mailbox plus every level that exists only as a parent, with child information. */
function buildTree(boxes: MailboxInfo[], selected: (b: MailboxInfo) => boolean): Map<string, Node> {
  const nodes = new Map<string, Node>();
  const node = (name: string): Node => {
    let n = nodes.get(name);
    if (!n) nodes.set(name, (n = { name, hasChildren: false, childMatches: false }));
    return n;
  };
  for (const b of boxes) node(b.name).box = b;
  for (const b of boxes) {
    const match = selected(b);
    for (const parent of parentsOf(b.name)) {
      const p = node(parent);
      p.hasChildren = true;
      if (match) p.childMatches = true;
    }
  }
  return nodes;
}

function sortNames(a: string, b: string): number {
  if (a === "INBOX") return -1;
  if (b === "INBOX") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export const listCommand: CommandSpec = {
  names: ["LIST"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    const args = parseListArgs(cmd, { utf8: session.utf8 });
    const opts = session.compileOptions;
    // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and the root.
    if (args.patterns.length === 1 && args.patterns[0] === "" && !args.select.subscribed && !args.select.specialUse) {
      await session.send(compileList({ attributes: ["\\Noselect"], delimiter: D, mailbox: "" }, opts));
      return ok("LIST completed");
    }
    const boxes = await listMailboxes({ userId: session.user.id, withCounts: args.return.status !== undefined });
    const { select } = args;
    const filtered = select.subscribed || select.specialUse;
    const matchesSelection = (b: MailboxInfo) =>
      (!select.subscribed || b.subscribed) && (!select.specialUse || b.specialUse !== null);
    const tree = buildTree(boxes, matchesSelection);
    const patterns = args.patterns.map((p) => patternToRegExp(args.reference + p));
    const extendedNames = args.extended || session.rev2;
    const names = [...tree.keys()].sort(sortNames);
    for (const name of names) {
      if (!patterns.some((re) => re.test(name))) continue;
      const n = tree.get(name)!;
      const selectedHere = n.box !== undefined && matchesSelection(n.box);
      // RFC 5258 §3.5: with RECURSIVEMATCH a parent of a subscribed mailbox is listed with CHILDINFO.
      const childInfo = select.subscribed && select.recursiveMatch && n.childMatches ? ["SUBSCRIBED"] : undefined;
      if (filtered && !selectedHere && !childInfo) continue;
      const attributes: string[] = [];
      if (!n.box) attributes.push(extendedNames ? "\\NonExistent" : "\\Noselect");
      // RFC 5258 §4: CHILDREN info is always given here (it is cheap).
      attributes.push(n.hasChildren ? "\\HasChildren" : "\\HasNoChildren");
      if (n.box?.subscribed && (args.return.subscribed || select.subscribed)) attributes.push("\\Subscribed");
      // RFC 6154 §2: special-use attributes in every LIST response.
      if (n.box?.specialUse) attributes.push(n.box.specialUse);
      await session.send(compileList({ attributes, delimiter: D, mailbox: name, childInfo }, opts));
      if (args.return.status && n.box) {
        const values = await statusValues(session, n.box, args.return.status);
        await session.send(compileStatusData(name, values, opts));
      }
    }
    return ok("LIST completed");
  },
};

export const lsubCommand: CommandSpec = {
  names: ["LSUB"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    const args = parseLsubArgs(cmd, { utf8: session.utf8 });
    const boxes = (await listMailboxes({ userId: session.user.id, withCounts: false })).filter((b) => b.subscribed);
    const re = patternToRegExp(args.reference + args.pattern);
    const seen = new Set<string>();
    const entries: { name: string; noselect: boolean }[] = [];
    for (const b of boxes) {
      if (re.test(b.name)) {
        entries.push({ name: b.name, noselect: false });
        seen.add(b.name);
      }
    }
    // RFC 3501 §6.3.9: with "%", a subscribed child makes its unsubscribed parent show as \Noselect.
    for (const b of boxes) {
      for (const parent of parentsOf(b.name)) {
        if (!seen.has(parent) && re.test(parent) && !boxes.some((x) => x.name === parent)) {
          entries.push({ name: parent, noselect: true });
          seen.add(parent);
        }
      }
    }
    entries.sort((a, b) => sortNames(a.name, b.name));
    for (const e of entries) {
      await session.send(
        compileList({ attributes: e.noselect ? ["\\Noselect"] : [], delimiter: D, mailbox: e.name }, session.compileOptions, "LSUB"),
      );
    }
    return ok("LSUB completed");
  },
};
