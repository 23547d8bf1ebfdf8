import type { Address } from "@/lib/imap-client/summaries";

// Display helpers for the mail UI.

export function displayName(a: Address, me?: string): string {
  if (me && a.address === me) return "me";
  return a.name || a.address || "(unknown)";
}

function firstName(a: Address, me?: string): string {
  const n = displayName(a, me);
  if (n === "me" || n.includes("@")) return n;
  return n.split(/\s+/)[0] ?? n;
}

/** "Alice", "Alice, Bob", "Alice … Carol" as Gmail shows a thread's senders. */
export function sendersLabel(senders: Address[], me?: string): string {
  if (senders.length === 0) return "(no sender)";
  if (senders.length === 1) return displayName(senders[0], me);
  if (senders.length === 2) return `${firstName(senders[0], me)}, ${firstName(senders[1], me)}`;
  return `${firstName(senders[0], me)} … ${firstName(senders[senders.length - 1], me)}`;
}

export function addressList(list: Address[], me?: string): string {
  return list.map((a) => (a.name && a.address ? `${me && a.address === me ? "me" : a.name} <${a.address}>` : displayName(a, me))).join(", ");
}

let displayTimeZone: string | undefined;

/** The user's time zone for dates (Settings → Preferences); "" follows the browser. */
export function setDisplayTimeZone(tz: string): void {
  displayTimeZone = tz || undefined;
}

/** Short date for a list row: the time today, "Feb 3" this year, "2/3/24" before. UTC before hydration. */
export function shortDate(iso: string, local: boolean): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const tz = local ? displayTimeZone : "UTC";
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  if (sameDay) return d.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit", timeZone: tz });
  if (d.getFullYear() === now.getFullYear()) return d.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: tz });
  return d.toLocaleDateString(undefined, { year: "2-digit", month: "numeric", day: "numeric", timeZone: tz });
}

export function longDate(iso: string, local: boolean): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: local ? displayTimeZone : "UTC" });
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 102.4) / 10} KB`;
  return `${Math.round(bytes / (1024 * 104.8576)) / 10} MB`;
}
