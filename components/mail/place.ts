// Where the reader is, as the URL says it: /mail (Inbox), ?box=<folder>, ?view=starred, ?q=<search>,
// &t=<conversation>. The browser's history follows the reader, so Back and reloads keep the place.

export interface Place {
  view: "mailbox" | "starred";
  mailbox: string;
  q: string;
  open: string | null;
}

export const INBOX_PLACE: Place = { view: "mailbox", mailbox: "INBOX", q: "", open: null };

type Params = { get(name: string): string | null };

export function placeFromParams(params: Params): Place {
  const view = params.get("view") === "starred" ? "starred" : "mailbox";
  return {
    view,
    mailbox: view === "starred" ? "INBOX" : params.get("box") || "INBOX",
    q: view === "starred" ? "" : (params.get("q") ?? "").slice(0, 500),
    open: params.get("t") || null,
  };
}

export function placeUrl(p: Place): string {
  const q = new URLSearchParams();
  if (p.view === "starred") q.set("view", "starred");
  else if (p.mailbox !== "INBOX") q.set("box", p.mailbox);
  if (p.q) q.set("q", p.q);
  if (p.open) q.set("t", p.open);
  const s = q.toString();
  return s ? `/mail?${s}` : "/mail";
}

/** Identifies a list (folder or view, and search) independently of the open conversation. */
export function listKey(p: Place): string {
  return `${p.view}\u0000${p.mailbox}\u0000${p.q}`;
}
