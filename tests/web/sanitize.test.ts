import { describe, expect, it } from "vitest";
import { mailFrameCsp, mailFrameDocument, sanitizeCss, sanitizeMailHtml } from "../../lib/web/mail/sanitize.ts";

// The HTML mail sanitizer on its own: what survives, what is removed, what counts as remote.

const clean = (html: string, allowRemote = false) => sanitizeMailHtml(html, { allowRemote });

describe("sanitizeMailHtml", () => {
  it("removes scripts, handlers and active or embedding elements", () => {
    const { html } = clean(
      `<p onclick="x()">hi</p><script>alert(1)</script><img src="data:image/png;base64,AAAA" onerror="x()"><svg onload="x()"><animate onbegin="x()"/></svg>` +
        `<math><mi>x</mi></math><iframe src="https://a.example"></iframe><object data="x"></object><embed src="x"><form action="https://a.example"><input><button>b</button></form>` +
        `<meta http-equiv="refresh" content="0;url=https://a.example"><link rel="stylesheet" href="https://a.example/x.css"><base href="https://a.example/"><template><p>t</p></template>`,
    );
    // What was inside a removed element stays as text ("b" of the button), never as markup.
    expect(html).toBe('<p>hi</p><img src="data:image/png;base64,AAAA">b');
  });

  it("drops javascript:, data: and other unsafe link targets, and opens the rest in a new tab without a referrer", () => {
    const { html } = clean(
      `<a href="javascript:alert(1)">a</a><a href=" jav&#x09;ascript:alert(1)">b</a><a href="data:text/html,x">c</a><a href="vbscript:x">d</a>` +
        `<a href="https://ok.example/x?y=1">e</a><a href="mailto:a@b.example">f</a><a href="#top">g</a>`,
    );
    expect(html).toBe(
      "<a>a</a><a>b</a><a>c</a><a>d</a>" +
        '<a href="https://ok.example/x?y=1" target="_blank" rel="noopener noreferrer nofollow">e</a>' +
        '<a href="mailto:a@b.example" target="_blank" rel="noopener noreferrer nofollow">f</a>' +
        '<a href="#top">g</a>',
    );
  });

  it("blocks remote images, srcset, backgrounds and CSS url()/@import until allowed, counting them", () => {
    const dirty =
      `<style>@import url(https://t.example/a.css); .a{background:url("https://t.example/b.png")} .b{background:url(data:image/png;base64,AAAA)}</style>` +
      `<img src="https://t.example/p.gif" width="1"><img srcset="https://t.example/s.png 2x"><table background="https://t.example/t.png"><tbody><tr><td style="background-image:url('//t.example/c.png')">x</td></tr></tbody></table>`;
    const blocked = clean(dirty);
    expect(blocked.remoteBlocked).toBe(6);
    expect(blocked.html).not.toMatch(/t\.example/);
    expect(blocked.html).toContain("url(\"data:image/png;base64,AAAA\")");
    const allowed = clean(dirty, true);
    expect(allowed.remoteBlocked).toBe(1); // @import stays out either way
    expect(allowed.html).toContain('src="https://t.example/p.gif"');
    expect(allowed.html).toContain('url("https://t.example/b.png")');
    expect(allowed.html).not.toContain("a.css");
    expect(allowed.html).toContain("url(&quot;https://t.example/c.png&quot;)");
    expect(allowed.html).toContain('<img src="https://t.example/p.gif" width="1">');
  });

  it("sees through CSS escapes and comments", () => {
    let n = 0;
    const css = sanitizeCss("a{background:u\\72l(https://t.example/x) ; color: red} b{background:ur/**/l(https://t.example/y)} c{width:expression(alert(1))} d{background:image-set('https://t.example/z.png' 1x)}", {
      allowRemote: false,
      cid: () => null,
      onBlocked: () => n++,
    });
    expect(css).not.toMatch(/t\.example|expression\(/);
    expect(n).toBe(3);
  });

  it("inlines cid: images as data: URLs, and drops unknown ones", () => {
    const { html } = sanitizeMailHtml(`<img src="cid:logo@x" alt="logo"><img src="cid:missing@x">`, {
      allowRemote: false,
      inlineImages: [{ contentId: "Logo@X", mimeType: "image/png", data: Buffer.from("png") }],
    });
    expect(html).toBe('<img src="data:image/png;base64,cG5n" alt="logo"><img alt="[image]">');
  });

  it("is not fooled by mutation XSS", () => {
    const { html } = clean(`<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript><svg></p><style><a id="</style><img src=1 onerror=alert(1)>">`);
    expect(html).not.toMatch(/onerror/);
  });

  it("wraps the result in a document whose CSP blocks everything remote unless allowed", () => {
    expect(mailFrameCsp(false)).toMatch(/^default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; script-src 'none';/);
    expect(mailFrameCsp(true)).toContain("img-src data: https: http:");
    const doc = mailFrameDocument("<p>x</p>", false);
    expect(doc.indexOf("Content-Security-Policy")).toBeLessThan(doc.indexOf("<p>x</p>"));
    expect(doc).toContain('<meta name="referrer" content="no-referrer">');
  });
});
