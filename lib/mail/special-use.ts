// The mailboxes every account starts with, and their RFC 6154 SPECIAL-USE attributes.
export const DEFAULT_MAILBOXES: { name: string; specialUse: string | null }[] = [
  { name: "INBOX", specialUse: null },
  { name: "Drafts", specialUse: "\\Drafts" },
  { name: "Sent", specialUse: "\\Sent" },
  { name: "Archive", specialUse: "\\Archive" },
  { name: "Junk", specialUse: "\\Junk" },
  { name: "Trash", specialUse: "\\Trash" },
];

export const HIERARCHY_DELIMITER = "/";

export function newUidValidity(): number {
  // Any non-zero 31-bit value that a recreated mailbox of the same name will not repeat in practice.
  return 1 + Math.floor(Math.random() * 0x7ffffffe);
}
