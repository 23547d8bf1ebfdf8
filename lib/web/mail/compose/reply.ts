import { withImap, type ImapIdentity } from "../../../imap-client/pool.ts";
import { isOwnedAddress, ownedAddresses } from "../../../smtp/submission-identity.ts";
import type { Recipient } from "./addresses.ts";
import { readMessageSource, saveDraft, type DraftView } from "./drafts.ts";
import { escapeHtml, sanitizeComposeHtml } from "./html.ts";
import { newMessageId, parseComposed, prefixedSubject, type ParsedComposed } from "./mime.ts";
import { getMailSettings } from "./settings.ts";

// Reply, reply all and forward, as a draft to start from: recipients worked out as mail clients
// do (Reply-To over From; reply all adds the other recipients but never the user), the subject
// with one "Re:" / "Fwd:", the original quoted below, and In-Reply-To / References (RFC 5322
// §3.6.4) so that the answer joins the thread. A forward carries the original's attachments: it is
// saved to Drafts at once so that they travel with it.

export type ReplyMode = "reply" | "replyAll" | "forward";

function formatDate(d: Date | null, timeZone: string): string {
  if (!d) return "";
  try {
    return new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: timeZone || "UTC" }).format(d);
  } catch {
    return d.toUTCString();
  }
}

const person = (r: Recipient | null) => (r ? (r.name ? `${escapeHtml(r.name)} &lt;${escapeHtml(r.address)}&gt;` : escapeHtml(r.address)) : "");
const people = (list: Recipient[]) => list.map(person).join(", ");

function uniqueExcept(list: Recipient[], exclude: (address: string) => boolean): Recipient[] {
  const seen = new Set<string>();
  return list.filter((r) => {
    const a = r.address.toLowerCase();
    if (seen.has(a) || exclude(a)) return false;
    seen.add(a);
    return true;
  });
}

export function replyRecipients(
  original: Pick<ParsedComposed, "from" | "to" | "cc" | "replyTo">,
  mode: "reply" | "replyAll",
  isMine: (address: string) => boolean,
): { to: Recipient[]; cc: Recipient[] } {
  const fromMe = !!original.from && isMine(original.from.address.toLowerCase());
  // Answering one's own message (from Sent) goes to its recipients, as Gmail does.
  const primary = fromMe ? original.to : original.replyTo.length ? original.replyTo : original.from ? [original.from] : [];
  const to = uniqueExcept(primary, (a) => isMine(a) && !fromMe);
  if (mode === "reply") return { to: to.length ? to : primary.slice(0, 1), cc: [] };
  const inTo = new Set(to.map((r) => r.address.toLowerCase()));
  const others = fromMe ? original.cc : [...original.to, ...original.cc];
  const cc = uniqueExcept(others, (a) => isMine(a) || inTo.has(a));
  return { to: to.length ? to : primary.slice(0, 1), cc };
}

/** The draft a reply, reply all or forward of `mailbox`/`uid` starts from. */
export async function startReply(identity: ImapIdentity, input: { mailbox: string; uid: number; mode: ReplyMode }): Promise<DraftView> {
  const raw = await withImap(identity, (c) => readMessageSource(c, input.mailbox, input.uid), { lane: "aux" });
  const original = await parseComposed(raw);
  const [owned, settings] = await Promise.all([ownedAddresses({ userId: identity.userId }), getMailSettings({ userId: identity.userId })]);
  const isMine = (a: string) => isOwnedAddress(owned, a);
  // Answer from the address the message was sent to, when it is one of the user's.
  const addressedTo = [...original.to, ...original.cc, ...original.bcc].find((r) => isMine(r.address));
  const from = (addressedTo?.address ?? identity.email).toLowerCase();
  const when = formatDate(original.date, settings.timeZone);
  const quoted = sanitizeComposeHtml(original.html);
  const domain = from.slice(from.lastIndexOf("@") + 1);
  const references = original.messageId ? [...original.references.filter((r) => r !== original.messageId).slice(-30), original.messageId] : original.references;

  if (input.mode === "forward") {
    const header = [
      "---------- Forwarded message ---------",
      `From: ${person(original.from)}`,
      `Date: ${escapeHtml(when)}`,
      `Subject: ${escapeHtml(original.subject)}`,
      `To: ${people(original.to)}`,
      ...(original.cc.length ? [`Cc: ${people(original.cc)}`] : []),
    ].join("<br>");
    const draft = {
      uid: null,
      messageId: newMessageId(domain),
      from,
      to: [],
      cc: [],
      bcc: [],
      subject: prefixedSubject("Fwd", original.subject),
      html: `<p></p><p>${header}</p>${quoted}`,
      // A forward starts a conversation of its own in Gmail; it keeps References so that threads
      // of the recipient's replies can still be followed back.
      inReplyTo: null,
      references,
      attachments: [],
      forwardOf: null,
      answering: null,
    };
    if (original.attachments.length === 0) return { ...draft, savedAt: null, attachments: [] };
    return saveDraft(identity, draft, original.attachments);
  }

  const { to, cc } = replyRecipients(original, input.mode, isMine);
  const attribution = `On ${escapeHtml(when)}, ${person(original.from)} wrote:`;
  return {
    uid: null,
    messageId: newMessageId(domain),
    from,
    to,
    cc,
    bcc: [],
    subject: prefixedSubject("Re", original.subject),
    html: `<p></p><p>${attribution}</p><blockquote>${quoted}</blockquote>`,
    inReplyTo: original.messageId,
    references,
    attachments: [],
    forwardOf: null,
    answering: { mailbox: input.mailbox, uid: input.uid },
    savedAt: null,
  };
}
