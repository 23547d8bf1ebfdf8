import { describe, expect, it } from "vitest";
import { parseMessage } from "./parse.ts";

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, "\r\n"));

describe("parseMessage", () => {
  it("reads headers, envelope, structure offsets, snippet and attachments", async () => {
    const raw = crlf(`From: =?UTF-8?B?SsO8cmdlbg==?= <jurgen@example.org>
To: Alice <alice@example.test>, bob@example.test
Subject: Hello there
Date: Mon, 02 Feb 2026 10:00:00 +0000
Message-ID: <m1@example.org>
References: <r0@x> <r1@x>
In-Reply-To: <r1@x>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

preamble
--b1
Content-Type: text/plain; charset=utf-8

Hi Alice,
how are you?
--b1
Content-Type: application/pdf; name="a.pdf"
Content-Disposition: attachment; filename="a.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b1--
`);
    const p = await parseMessage(raw);
    expect(p.subject).toBe("Hello there");
    expect(p.fromAddress).toBe("jurgen@example.org");
    expect(p.messageId).toBe("<m1@example.org>");
    expect(p.inReplyTo).toBe("<r1@x>");
    expect(p.references).toEqual(["<r0@x>", "<r1@x>"]);
    expect(p.snippet).toBe("Hi Alice, how are you?");
    expect(p.hasAttachments).toBe(true);
    expect(p.attachments).toEqual([
      { filename: "a.pdf", mimeType: "application/pdf", size: 9, contentId: null, disposition: "attachment" },
    ]);
    expect(p.envelope.from).toEqual([{ name: "=?UTF-8?B?SsO8cmdlbg==?=", adl: null, mailbox: "jurgen", host: "example.org" }]);
    expect(p.envelope.to?.map((a) => a.mailbox)).toEqual(["alice", "bob"]);
    expect(p.envelope.replyTo).toEqual(p.envelope.from);
    const s = p.structure;
    expect([s.type, s.subtype, s.params.boundary]).toEqual(["multipart", "mixed", "b1"]);
    expect(s.parts).toHaveLength(2);
    const [text, pdf] = s.parts!;
    expect(raw.subarray(text.bodyStart, text.bodyEnd).toString()).toBe("Hi Alice,\r\nhow are you?");
    expect(text.lines).toBe(2);
    expect(raw.subarray(pdf.bodyStart, pdf.bodyEnd).toString()).toBe("JVBERi0xLjQK");
    expect(pdf.encoding).toBe("base64");
    expect(pdf.disposition).toEqual({ type: "attachment", params: { filename: "a.pdf" } });
    expect(p.searchText).toContain("how are you");
  });

  it("keeps broken MIME storable", async () => {
    const raw = crlf(`Subject: x
Content-Type: multipart/mixed; boundary=zz

--zz
Content-Type: text/plain

never closed`);
    const p = await parseMessage(raw);
    expect(p.structure.parts).toHaveLength(1);
    expect(raw.subarray(p.structure.parts![0].bodyStart, p.structure.parts![0].bodyEnd).toString()).toBe("never closed");
    const bare = await parseMessage(Buffer.from("no headers at all"));
    expect(bare.structure.type).toBe("text");
  });

  it("parses message/rfc822 parts with their own envelope headers", async () => {
    const raw = crlf(`Subject: fwd
Content-Type: multipart/mixed; boundary=o

--o
Content-Type: message/rfc822

Subject: inner
From: a@b.c

inner body
--o--
`);
    const p = await parseMessage(raw);
    const m = p.structure.parts![0];
    expect(m.type + "/" + m.subtype).toBe("message/rfc822");
    expect(m.message?.type).toBe("text");
    expect(m.headers?.find((h) => h.name === "subject")?.value).toBe("inner");
    expect(raw.subarray(m.message!.bodyStart, m.message!.bodyEnd).toString()).toBe("inner body");
  });
});
