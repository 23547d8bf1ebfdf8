import type { ImapFlow, MessageAddressObject } from "imapflow";
import { knownMailboxes } from "../../../imap-client/mailboxes.ts";
import { withImap, type ImapIdentity } from "../../../imap-client/pool.ts";
import type { Recipient } from "./addresses.ts";

// Address autocomplete from the people the user writes to and hears from: the envelopes of the
// newest messages in Sent (recipients, weighted more) and in the Inbox and Archive (senders), read
// over IMAP once per user and kept for a while in this process; what the user sends meanwhile is
// added as it goes.

export interface Contact extends Recipient {
  score: number;
  /** Last time seen (ms). */
  last: number;
}

interface Book {
  at: number;
  contacts: Map<string, Contact>;
  building: Promise<void> | null;
}

const KEY = Symbol.for("pigeon.contactBooks");
const store = globalThis as unknown as { [KEY]?: Map<number, Book> };
const books = (store[KEY] ??= new Map());

const TTL_MS = 10 * 60_000;
const MESSAGES_PER_FOLDER = 1000;
const MAX_BOOKS = 5000;

function add(contacts: Map<string, Contact>, a: { name?: string; address?: string }, weight: number, when: number): void {
  const address = (a.address ?? "").trim().toLowerCase();
  if (!address.includes("@") || address.length > 254) return;
  if (/^(no-?reply|do-?not-?reply|mailer-daemon|postmaster)@/.test(address)) return;
  const prev = contacts.get(address);
  const name = (a.name ?? "").trim();
  contacts.set(address, {
    address,
    name: name || prev?.name || "",
    score: (prev?.score ?? 0) + weight,
    last: Math.max(prev?.last ?? 0, when),
  });
}

async function readFolder(client: ImapFlow, path: string, fields: ("from" | "to" | "cc" | "bcc")[], weight: number, contacts: Map<string, Contact>, self: string): Promise<void> {
  const lock = await client.getMailboxLock(path, { acquireTimeout: 15_000 });
  try {
    const box = client.mailbox;
    const exists = box ? box.exists : 0;
    if (!exists) return;
    const range = `${Math.max(1, exists - MESSAGES_PER_FOLDER + 1)}:*`;
    for (const m of await client.fetchAll(range, { envelope: true, internalDate: true })) {
      const when = m.internalDate ? new Date(m.internalDate).getTime() : 0;
      for (const f of fields) {
        for (const a of (m.envelope?.[f] ?? []) as MessageAddressObject[]) {
          if ((a.address ?? "").toLowerCase() !== self) add(contacts, a, weight, when);
        }
      }
    }
  } finally {
    lock.release();
  }
}

async function build(identity: ImapIdentity): Promise<Map<string, Contact>> {
  const contacts = new Map<string, Contact>();
  const self = identity.email.toLowerCase();
  await withImap(
    identity,
    async (client) => {
      const folders = await knownMailboxes(client);
      for (const f of folders) {
        if (!f.selectable) continue;
        if (f.role === "sent") await readFolder(client, f.path, ["to", "cc", "bcc"], 3, contacts, self);
        else if (f.role === "inbox" || f.role === "archive") await readFolder(client, f.path, ["from"], 1, contacts, self);
      }
    },
    { lane: "aux" },
  );
  return contacts;
}

async function bookFor(identity: ImapIdentity): Promise<Map<string, Contact>> {
  let book = books.get(identity.userId);
  if (!book || Date.now() - book.at > TTL_MS) {
    const fresh: Book = book ?? { at: 0, contacts: new Map(), building: null };
    fresh.building ??= build(identity)
      .then((contacts) => {
        // Keep what was noted while the book was being read.
        for (const [k, v] of fresh.contacts) if (!contacts.has(k)) contacts.set(k, v);
        fresh.contacts = contacts;
        fresh.at = Date.now();
      })
      .finally(() => {
        fresh.building = null;
      });
    books.set(identity.userId, fresh);
    if (books.size > MAX_BOOKS) books.delete(books.keys().next().value!);
    book = fresh;
    await book.building;
  }
  return book.contacts;
}

/** Counts addresses the user just wrote to (no IMAP). */
export function noteContacts(userId: number, recipients: Recipient[]): void {
  const book = books.get(userId);
  if (!book) return;
  for (const r of recipients) add(book.contacts, r, 3, Date.now());
}

/** The best matches for what is typed: address or any word of the name starting with `q`. */
export async function suggestContacts(identity: ImapIdentity, input: { q: string; limit?: number }): Promise<Recipient[]> {
  const q = input.q.trim().toLowerCase();
  const contacts = await bookFor(identity);
  const match = (c: Contact) =>
    !q || c.address.startsWith(q) || c.address.split("@")[1]?.startsWith(q) || c.name.toLowerCase().split(/[\s.,'"-]+/).some((w) => w.startsWith(q)) || c.name.toLowerCase().startsWith(q);
  return [...contacts.values()]
    .filter(match)
    .sort((a, b) => b.score - a.score || b.last - a.last)
    .slice(0, input.limit ?? 8)
    .map((c) => ({ name: c.name, address: c.address }));
}

/** Forgets the cached address book (tests; sign-out). */
export function forgetContacts(userId?: number): void {
  if (userId === undefined) books.clear();
  else books.delete(userId);
}
