import type { MessageStructureObject } from "imapflow";

// Reading a BODYSTRUCTURE (RFC 9051 §7.5.2) the way a mail reader does: which parts are the body
// to show (HTML preferred over plain text in multipart/alternative), which are attachments, which
// are images referenced from the HTML by Content-ID (RFC 2392).

export interface BodyPart {
  /** Section for FETCH BODY[…]: "1", "1.2" ("1" for a message that is not multipart). */
  section: string;
  type: string;
  subtype: string;
  encoding: string;
  charset: string | null;
  size: number;
}

export interface AttachmentPart extends BodyPart {
  filename: string;
  /** The content id without angle brackets, when the part has one. */
  contentId: string | null;
  inline: boolean;
}

export interface MessageLayout {
  /** Parts shown as the body, in order (text/html or text/plain). */
  body: BodyPart[];
  attachments: AttachmentPart[];
  /** Inline parts referenced by cid: (images), not listed as attachments unless unreferenced. */
  related: AttachmentPart[];
}

function lower(v: string | undefined | null): string {
  return (v ?? "").toLowerCase();
}

function sectionOf(node: MessageStructureObject): string {
  // imapflow leaves `part` unset on the root of a non-multipart message: its body is part 1
  // (RFC 9051 §6.4.5).
  return node.part ?? "1";
}

function filenameOf(node: MessageStructureObject): string | null {
  const name = node.dispositionParameters?.filename ?? node.parameters?.name ?? null;
  return name ? name.replace(/[\x00-\x1f\x7f]/g, "").trim() || null : null;
}

function toPart(node: MessageStructureObject): BodyPart {
  const [type = "application", subtype = "octet-stream"] = lower(node.type).split("/");
  return {
    section: sectionOf(node),
    type,
    subtype,
    encoding: lower(node.encoding) || "7bit",
    charset: node.parameters?.charset ?? null,
    size: node.size ?? 0,
  };
}

function toAttachment(node: MessageStructureObject): AttachmentPart {
  const part = toPart(node);
  const id = node.id ? node.id.replace(/^<|>$/g, "").trim() : null;
  const fallback = part.type === "message" && part.subtype === "rfc822" ? "message.eml" : `part-${part.section}.${part.subtype.replace(/[^a-z0-9]/g, "") || "bin"}`;
  return { ...part, filename: filenameOf(node) ?? fallback, contentId: id || null, inline: lower(node.disposition) === "inline" };
}

function isText(node: MessageStructureObject, sub?: string): boolean {
  const t = lower(node.type);
  return sub ? t === `text/${sub}` : t === "text/plain" || t === "text/html";
}

function isAttachmentNode(node: MessageStructureObject): boolean {
  return lower(node.disposition) === "attachment" || (!!filenameOf(node) && lower(node.disposition) !== "inline");
}

/** Walks the structure: body parts to show, attachments, cid-referenced inline parts. */
export function layoutMessage(root: MessageStructureObject | undefined): MessageLayout {
  const out: MessageLayout = { body: [], attachments: [], related: [] };
  if (!root) return out;

  const walk = (node: MessageStructureObject, inRelated: boolean): void => {
    const type = lower(node.type);
    if (type.startsWith("multipart/")) {
      const children = node.childNodes ?? [];
      if (type === "multipart/alternative") {
        // The last alternative is the richest (RFC 2046 §5.1.4); prefer HTML, then plain text.
        const pick =
          [...children].reverse().find((c) => isText(c, "html") && !isAttachmentNode(c)) ??
          [...children].reverse().find((c) => isText(c, "plain") && !isAttachmentNode(c)) ??
          [...children].reverse().find((c) => lower(c.type).startsWith("multipart/"));
        if (pick) walk(pick, inRelated);
        return;
      }
      const related = type === "multipart/related";
      children.forEach((c, i) => walk(c, related && i > 0));
      return;
    }
    if (isText(node) && !isAttachmentNode(node)) {
      out.body.push(toPart(node));
      return;
    }
    const att = toAttachment(node);
    if (att.contentId && (inRelated || att.inline) && att.type === "image") out.related.push(att);
    else out.attachments.push(att);
  };

  walk(root, false);
  return out;
}

/** True when the message has parts a reader would call attachments. */
export function hasAttachments(root: MessageStructureObject | undefined): boolean {
  return layoutMessage(root).attachments.length > 0;
}

/** The first part whose text makes a good preview (plain text preferred: no markup to strip). */
export function previewPart(root: MessageStructureObject | undefined): BodyPart | null {
  if (!root) return null;
  let html: BodyPart | null = null;
  const walk = (node: MessageStructureObject): BodyPart | null => {
    const type = lower(node.type);
    if (type.startsWith("multipart/")) {
      for (const c of node.childNodes ?? []) {
        const found = walk(c);
        if (found) return found;
      }
      return null;
    }
    if (isAttachmentNode(node)) return null;
    if (isText(node, "plain")) return toPart(node);
    if (isText(node, "html") && !html) html = toPart(node);
    return null;
  };
  return walk(root) ?? html;
}
