import { describe, expect, it } from "vitest";
import { decodeCharset, decodeTransferEncoding, htmlToText, previewText } from "../../lib/imap-client/decode.ts";
import { layoutMessage, previewPart } from "../../lib/imap-client/structure.ts";
import { compactSet } from "../../lib/imap-client/summaries.ts";
import { linkify } from "../../lib/web/mail/linkify.ts";
import { estimateHeight } from "../../lib/web/mail/conversation.ts";
import { placeFromParams, placeUrl } from "../../components/mail/place.ts";

// The small pure pieces of the webmail: decoding parts, reading BODYSTRUCTURE, previews, links in
// plain text, sequence sets, and the URL of a place.

describe("decoding", () => {
  it("undoes base64 and quoted-printable, also when cut short", () => {
    expect(decodeTransferEncoding(Buffer.from("aGVsbG8g\r\nd29ybGQ="), "base64").toString()).toBe("hello world");
    expect(decodeTransferEncoding(Buffer.from("aGVsbG8gd29y"), "BASE64").toString()).toBe("hello wor");
    expect(decodeTransferEncoding(Buffer.from("aGVsbG8gd2"), "base64").toString()).toBe("hello ");
    expect(decodeTransferEncoding(Buffer.from("Caf=C3=A9 soft=\r\nbreak =3D"), "quoted-printable").toString()).toBe("Café softbreak =");
    expect(decodeTransferEncoding(Buffer.from("cut =C3=A"), "quoted-printable").toString("latin1")).toBe("cut \xc3");
  });

  it("reads charsets, falling back to UTF-8 for unknown ones", () => {
    expect(decodeCharset(Buffer.from([0x43, 0x61, 0x66, 0xe9]), "ISO-8859-1")).toBe("Café");
    expect(decodeCharset(Buffer.from("Café"), "x-unknown")).toBe("Café");
    expect(decodeCharset(Buffer.from("plain"), null)).toBe("plain");
  });

  it("makes one-line previews without quotes, signatures or markup", () => {
    expect(previewText("Hi Bob,\n\nSee below.\n> quoted line\n-- \nSignature")).toBe("Hi Bob, See below.");
    expect(htmlToText("<style>p{}</style><p>A &amp; B&nbsp;&#x43;</p><!-- c --><script>x</script>")).toMatch(/^\s*A & B C\s*$/);
    expect(previewText("x".repeat(300)).length).toBe(200);
  });
});

describe("BODYSTRUCTURE", () => {
  const tree = {
    type: "multipart/mixed",
    childNodes: [
      {
        type: "multipart/related",
        part: "1",
        childNodes: [
          { type: "multipart/alternative", part: "1.1", childNodes: [{ type: "text/plain", part: "1.1.1", encoding: "7bit", parameters: { charset: "utf-8" }, size: 10 }, { type: "text/html", part: "1.1.2", encoding: "base64", size: 40 }] },
          { type: "image/png", part: "1.2", id: "<logo@x>", encoding: "base64", size: 100 },
        ],
      },
      { type: "application/pdf", part: "2", disposition: "attachment", dispositionParameters: { filename: "a.pdf" }, encoding: "base64", size: 1000 },
      { type: "message/rfc822", part: "3", size: 500 },
    ],
  };

  it("picks the HTML alternative, the cid image, and the attachments", () => {
    const layout = layoutMessage(tree);
    expect(layout.body.map((b) => [b.section, b.subtype])).toEqual([["1.1.2", "html"]]);
    expect(layout.related.map((r) => [r.section, r.contentId])).toEqual([["1.2", "logo@x"]]);
    expect(layout.attachments.map((a) => [a.section, a.filename])).toEqual([
      ["2", "a.pdf"],
      ["3", "message.eml"],
    ]);
    expect(previewPart(tree)).toMatchObject({ section: "1.1.1", subtype: "plain", charset: "utf-8" });
  });

  it("reads a single-part message as part 1", () => {
    expect(layoutMessage({ type: "text/plain", encoding: "quoted-printable" }).body).toEqual([
      { section: "1", type: "text", subtype: "plain", encoding: "quoted-printable", charset: null, size: 0 },
    ]);
  });
});

describe("linkify", () => {
  it("links web addresses and e-mail addresses, and nothing else", () => {
    expect(linkify("See https://a.example/x?y=1, or www.b.example. Mail c@d.example! javascript:alert(1) (http://e.example/f_(g))")).toEqual([
      { kind: "text", text: "See " },
      { kind: "link", text: "https://a.example/x?y=1", href: "https://a.example/x?y=1" },
      { kind: "text", text: ", or " },
      { kind: "link", text: "www.b.example", href: "https://www.b.example/" },
      { kind: "text", text: ". Mail " },
      { kind: "link", text: "c@d.example", href: "mailto:c@d.example" },
      { kind: "text", text: "! javascript:alert(1) (" },
      { kind: "link", text: "http://e.example/f_(g)", href: "http://e.example/f_(g)" },
      { kind: "text", text: ")" },
    ]);
  });
});

describe("small helpers", () => {
  it("compacts sequence sets", () => {
    expect(compactSet([5, 1, 2, 3, 9, 10, 3])).toBe("1:3,5,9:10");
  });

  it("estimates a frame's height within bounds", () => {
    expect(estimateHeight("<p>hi</p>")).toBe(120);
    expect(estimateHeight(`<p>${"word ".repeat(20_000)}</p>`)).toBe(1600);
  });

  it("round-trips a place through its URL", () => {
    const place = { view: "mailbox" as const, mailbox: "Work/2026 Q1", q: "invoice", open: "T42" };
    const url = placeUrl(place);
    expect(url).toBe("/mail?box=Work%2F2026+Q1&q=invoice&t=T42");
    expect(placeFromParams(new URL(url, "http://x").searchParams)).toEqual(place);
    expect(placeUrl({ view: "starred", mailbox: "INBOX", q: "", open: null })).toBe("/mail?view=starred");
    expect(placeUrl({ view: "mailbox", mailbox: "INBOX", q: "", open: null })).toBe("/mail");
  });
});
