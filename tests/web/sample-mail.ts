import { deliverMessage } from "../../lib/mail/deliver.ts";

// Mail for webmail tests and screenshots: conversations with replies (one filed in Sent), an HTML
// newsletter with a remote image and an inline cid: logo, a message with attachments, and plain
// text with links.

const CRLF = (lines: string[]) => Buffer.from(lines.join("\r\n").replace(/\r?\n/g, "\r\n") + "\r\n");

// A 1×1 PNG.
export const PNG_1X1 = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

export function textMessage(o: { from: string; to: string; subject: string; body: string; id: string; date?: string; replyTo?: string[] }): Buffer {
  return CRLF([
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Date: ${o.date ?? new Date().toUTCString()}`,
    `Message-ID: ${o.id}`,
    ...(o.replyTo?.length ? [`In-Reply-To: ${o.replyTo[o.replyTo.length - 1]}`, `References: ${o.replyTo.join(" ")}`] : []),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    o.body,
  ]);
}

export function htmlMessage(o: { from: string; to: string; subject: string; html: string; id: string; text?: string; images?: { cid: string; data: Buffer }[] }): Buffer {
  const images = o.images ?? [];
  return CRLF([
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${o.id}`,
    "MIME-Version: 1.0",
    'Content-Type: multipart/related; boundary="rel-b"',
    "",
    "--rel-b",
    'Content-Type: multipart/alternative; boundary="alt-b"',
    "",
    "--alt-b",
    "Content-Type: text/plain; charset=utf-8",
    "",
    o.text ?? "This message is best viewed as HTML.",
    "--alt-b",
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    Buffer.from(o.html, "utf8").toString("base64").replace(/.{76}/g, "$&\r\n"),
    "--alt-b--",
    ...images.flatMap((img) => [
      "--rel-b",
      "Content-Type: image/png",
      `Content-ID: <${img.cid}>`,
      "Content-Disposition: inline",
      "Content-Transfer-Encoding: base64",
      "",
      img.data.toString("base64"),
    ]),
    "--rel-b--",
  ]);
}

export function attachmentMessage(o: { from: string; to: string; subject: string; body: string; id: string; files: { name: string; type: string; data: Buffer }[] }): Buffer {
  return CRLF([
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${o.id}`,
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="mix-b"',
    "",
    "--mix-b",
    "Content-Type: text/plain; charset=utf-8",
    "",
    o.body,
    ...o.files.flatMap((f) => [
      "--mix-b",
      `Content-Type: ${f.type}; name="${f.name}"`,
      `Content-Disposition: attachment; filename="${f.name}"`,
      "Content-Transfer-Encoding: base64",
      "",
      f.data.toString("base64").replace(/.{76}/g, "$&\r\n"),
    ]),
    "--mix-b--",
  ]);
}

/** A realistic little mailbox for `user`; returns the Message-IDs it used. */
export async function seedSampleMail(user: { id: number; email: string }, opts: { remoteImageHost?: string } = {}) {
  const me = user.email;
  const remote = opts.remoteImageHost ?? "images.example.net";
  const d = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);
  const deliver = (raw: Buffer, minutesAgo: number, target: { mailbox?: string; flags?: string[] } = {}) =>
    deliverMessage({ raw, targets: [{ userId: user.id, ...target }], internalDate: d(minutesAgo) });

  await deliver(textMessage({ from: "Grace Hopper <grace@navy.example>", to: me, subject: "Compiler notes", id: "<notes-1@navy.example>", body: "Here are my notes on the compiler.\nSee https://example.org/compiler for the draft." }), 600, { flags: ["\\Seen"] });
  await deliver(textMessage({ from: "Alan Turing <alan@bletchley.example>", to: me, subject: "Lunch on Thursday?", id: "<lunch-1@bletchley.example>", body: "Shall we have lunch on Thursday?\n\nAlan" }), 300, { flags: ["\\Seen"] });
  await deliver(textMessage({ from: me, to: "Alan Turing <alan@bletchley.example>", subject: "Re: Lunch on Thursday?", id: "<lunch-2@pigeon.example>", replyTo: ["<lunch-1@bletchley.example>"], body: "Thursday works. Noon at the usual place?\n\n> Shall we have lunch on Thursday?" }), 290, { mailbox: "Sent", flags: ["\\Seen"] });
  await deliver(textMessage({ from: "Alan Turing <alan@bletchley.example>", to: me, subject: "Re: Lunch on Thursday?", id: "<lunch-3@bletchley.example>", replyTo: ["<lunch-1@bletchley.example>", "<lunch-2@pigeon.example>"], body: "Noon it is. I'll bring the Enigma paper (www.example.com/enigma)." }), 200);
  await deliver(
    htmlMessage({
      from: "The Weekly <news@weekly.example>",
      to: me,
      subject: "This week: pigeons, packets and post",
      id: "<weekly-42@weekly.example>",
      html: `<html><head><style>.lead{font-size:18px;color:#334155}</style></head><body><img src="cid:logo@weekly" alt="The Weekly" width="32" height="32"><h1>The Weekly</h1><p class="lead">Carrier pigeons delivered 99.9% of packets on time.</p><p><img src="https://${remote}/banner.png" alt="Banner" width="300" height="80"></p><p><a href="https://weekly.example/read">Read online</a></p></body></html>`,
      text: "Carrier pigeons delivered 99.9% of packets on time.",
      images: [{ cid: "logo@weekly", data: PNG_1X1 }],
    }),
    120,
  );
  await deliver(
    attachmentMessage({
      from: "Ada Lovelace <ada@engine.example>",
      to: me,
      subject: "Analytical Engine diagrams",
      id: "<diagrams@engine.example>",
      body: "The diagrams are attached.\n\nAda",
      files: [
        { name: "engine.pdf", type: "application/pdf", data: Buffer.from("%PDF-1.4\n% a tiny fake pdf\n") },
        { name: "notes.html", type: "text/html", data: Buffer.from("<script>alert('x')</script><b>notes</b>") },
      ],
    }),
    60,
    { flags: ["\\Flagged"] },
  );
  await deliver(textMessage({ from: "Linus <linus@kernel.example>", to: me, subject: "Patch review", id: "<patch@kernel.example>", body: "Please review the attached patch series.\nThanks!" }), 10);
}
