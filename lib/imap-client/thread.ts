import type { FetchMessageObject, ImapFlow } from "imapflow";
import { decodeCharset, decodeTransferEncoding } from "./decode.ts";
import { layoutMessage, type AttachmentPart, type BodyPart } from "./structure.ts";
import { fetchSummaries, compactSet, fillSnippets, toAddresses, type Address, type MessageSummary } from "./summaries.ts";

// A conversation's messages in one folder: SEARCH THREADID (RFC 8474 §5), a summary FETCH, then
// per message one FETCH of the parts a reader needs (the text to show, and images the HTML
// references by cid:), transfer encoding and charset removed here.

export interface ThreadMessageContent {
  summary: MessageSummary;
  emailId: string | null;
  bcc: Address[];
  replyTo: Address[];
  /** Body parts in display order. */
  bodies: { kind: "html" | "text"; content: string; truncated: boolean }[];
  attachments: AttachmentPart[];
  /** cid-referenced images, bytes included (small ones only). */
  inlineImages: { contentId: string; mimeType: string; data: Buffer }[];
  /** The body was not read (an older message of a long thread): read it when the reader opens it. */
  deferred?: boolean;
}

const MAX_TEXT_BYTES = 2 * 1024 * 1024;
const MAX_INLINE_IMAGE_BYTES = 1024 * 1024;
const MAX_INLINE_TOTAL = 6 * 1024 * 1024;
const INLINE_IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp", "image/bmp", "image/avif"]);

/** UIDs of the thread's messages in the selected folder. */
export async function searchThread(client: ImapFlow, threadId: string): Promise<number[]> {
  const r = await client.search({ threadId }, { uid: true });
  return Array.isArray(r) ? r : [];
}

function partBytes(m: FetchMessageObject, section: string): Buffer | undefined {
  const want = section.toLowerCase();
  for (const [key, value] of m.bodyParts ?? []) {
    if (key.toLowerCase().replace(/<[^>]*>$/, "") === want) return value;
  }
  return undefined;
}

interface ContentPlan {
  summary: MessageSummary;
  layout: ReturnType<typeof layoutMessage>;
  images: AttachmentPart[];
  wanted: { part: BodyPart; max: number }[];
}

/** Which parts of a message to read: the body parts, and the cid images small enough to inline. */
function planContent(s: MessageSummary): ContentPlan {
  const layout = layoutMessage(s.fetched.bodyStructure);
  let inlineBudget = MAX_INLINE_TOTAL;
  const images = layout.related.filter((p) => {
    const ok = INLINE_IMAGE_TYPES.has(`${p.type}/${p.subtype}`) && p.size <= MAX_INLINE_IMAGE_BYTES * 1.4 && p.size <= inlineBudget;
    if (ok) inlineBudget -= p.size;
    return ok;
  });
  const wanted = [
    ...layout.body.map((part) => ({ part, max: MAX_TEXT_BYTES })),
    ...images.map((part) => ({ part, max: Math.ceil(MAX_INLINE_IMAGE_BYTES * 1.4) })),
  ];
  return { summary: s, layout, images, wanted };
}

function buildContent(plan: ContentPlan, fetched: FetchMessageObject | undefined): ThreadMessageContent {
  const { summary: s, layout, images } = plan;
  const env = s.fetched.envelope ?? {};
  const content: ThreadMessageContent = {
    summary: s,
    emailId: s.fetched.emailId ?? null,
    bcc: toAddresses(env.bcc),
    replyTo: toAddresses(env.replyTo),
    bodies: [],
    attachments: [...layout.attachments],
    inlineImages: [],
  };
  // Referenced images too big to show inline are still there to download.
  for (const part of layout.related) if (!images.includes(part)) content.attachments.push(part);
  if (!fetched) return content;
  for (const part of layout.body) {
    const raw = partBytes(fetched, part.section);
    if (!raw) continue;
    content.bodies.push({
      kind: part.subtype === "html" ? "html" : "text",
      content: decodeCharset(decodeTransferEncoding(raw, part.encoding), part.charset),
      truncated: raw.length >= MAX_TEXT_BYTES,
    });
  }
  for (const part of images) {
    const raw = partBytes(fetched, part.section);
    if (!raw || !part.contentId) continue;
    const data = decodeTransferEncoding(raw, part.encoding);
    if (data.length <= MAX_INLINE_IMAGE_BYTES) content.inlineImages.push({ contentId: part.contentId, mimeType: `${part.type}/${part.subtype}`, data });
  }
  return content;
}

/**
 * The thread's messages in the selected folder, with content: one summary FETCH, then one FETCH of
 * body parts per distinct set of sections (messages shaped alike are read together).
 */
export async function readThreadInSelected(
  client: ImapFlow,
  uids: number[],
  opts: { withBody?: (s: MessageSummary, newestFirstIndex: number) => boolean } = {},
): Promise<ThreadMessageContent[]> {
  if (uids.length === 0) return [];
  const summaries = await fetchSummaries(client, compactSet(uids), { uid: true });
  await fillSnippets(client, summaries);
  const plans = summaries.map(planContent);
  const newestFirst = [...summaries].sort((a, b) => b.date.getTime() - a.date.getTime() || b.uid - a.uid);
  const deferred = new Set(opts.withBody ? newestFirst.filter((s, i) => !opts.withBody!(s, i)).map((s) => s.uid) : []);
  const groups = new Map<string, ContentPlan[]>();
  for (const p of plans) {
    if (p.wanted.length === 0 || deferred.has(p.summary.uid)) continue;
    const key = p.wanted.map((w) => `${w.part.section}<${w.max}>`).join(",");
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const fetched = new Map<number, FetchMessageObject>();
  for (const group of groups.values()) {
    const wanted = group[0].wanted;
    const rows = await client.fetchAll(
      compactSet(group.map((p) => p.summary.uid)),
      { uid: true, bodyParts: wanted.map((w) => ({ key: w.part.section, start: 0, maxLength: w.max })) },
      { uid: true },
    );
    for (const r of rows) fetched.set(r.uid, r);
  }
  return plans.map((p) => ({ ...buildContent(p, fetched.get(p.summary.uid)), deferred: deferred.has(p.summary.uid) }));
}
