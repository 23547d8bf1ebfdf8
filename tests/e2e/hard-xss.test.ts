import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { launchChromium, signInInBrowser } from "../helpers/web.ts";
import { startMailStack, type MailStack } from "../web/mail-stack.ts";
import { htmlMessage } from "../web/sample-mail.ts";

// Issue 12, item 6: HTML mail in the classes of past webmail CVEs, opened in the real webmail in
// Debian's Chromium. SVG <animate>/<set> writing href (Roundcube CVE-2024-37383, CVE-2023-5631),
// attribute-quote shifting and other desanitization (Roundcube CVE-2024-42009, mutation XSS),
// CSS url() and SVG feImage/image/use remote loads, and attachments with hostile Content-Type and
// Content-Disposition. No script may run (no dialog, no marker set in any frame), and no request
// may reach the attacker's host. (The webmail issue's own corpus: tests/e2e/mail-browser.test.ts.)

const EVIL = "evil.example";
let stack: MailStack;
let browser: Browser;
let user: { id: number; email: string };
const contexts: BrowserContext[] = [];
const opened: string[] = [];

const CRLF = (lines: string[]) => Buffer.from(lines.join("\r\n") + "\r\n");

// ─── The corpus ────────────────────────────────────────────────────────────────────────────────

const b64 = (s: string) => Buffer.from(s).toString("base64");
const SVG_DOC = b64(`<svg id="x" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image href="1" onerror="alert('use-data');top.__pwned='use'"/></svg>`);

const HTML_CORPUS: [string, string][] = [
  // SVG animation writing href / xlink:href with javascript: (CVE-2024-37383 used a space in attributeName)
  ["svg animate href", `<svg width="200" height="40"><a><animate attributeName="href" values="javascript:alert('animate');top.__pwned='a'" dur="0.1s" fill="freeze"/><text x="5" y="20" id="click1">click animate</text></a></svg>`],
  ["svg animate spaced attributeName", `<svg width="200" height="40"><a><animate attributeName=" href " dur="0.1s" fill="freeze" values="javascript:alert('spaced')"/><text x="5" y="20" id="click2">click spaced</text></a></svg>`],
  ["svg set xlink:href", `<svg width="200" height="40" xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="#"><set attributeName="xlink:href" to="javascript:alert('set')"/><text x="5" y="20" id="click3">click set</text></a></svg>`],
  ["svg use data: document (CVE-2023-5631)", `<svg><use href="data:image/svg+xml;base64,${SVG_DOC}#x"/></svg><svg><use xlink:href="data:image/svg+xml;base64,${SVG_DOC}#x"/></svg>`],
  ["svg animate onbegin and handlers", `<svg><animate onbegin="alert('onbegin')" attributeName="x" dur="1s"/><set onend="alert('onend')" attributeName="x" to="1" dur="0.1s"/><rect width="10" height="10" onload="alert('rect')"/></svg>`],
  ["math maction href", `<math><maction actiontype="statusline" xlink:href="javascript:alert('math')" id="click4">click math<mtext>x</mtext></maction></math>`],
  ["svg foreignObject", `<svg><foreignObject width="100" height="50"><iframe srcdoc="<script>alert('fo')</script>"></iframe><img src="x" onerror="alert('fo2')"></foreignObject></svg>`],
  // Attribute-quote shifting and desanitization (CVE-2024-42009 and relatives)
  ["body title/name shifting (CVE-2024-42009)", `<body title="bgcolor=foo" name="bar style=animation-name:progress-bar-stripes onanimationstart=alert(origin) foo=bar">Foo</body>`],
  ["quote breaking attributes", `<img alt="x" title='"><img src=x onerror=alert("q1")>'><div title="&quot; onmouseover=&quot;alert('q2')">hover</div><p style="font-family:'x&quot;><img src=x onerror=alert(3)>'">q3</p><img src="x\`y" onerror=alert('backtick')>`],
  ["raw-text element breakouts", `<xmp><p title="</xmp><img src=x onerror=alert('xmp')>"></xmp><noembed><img title="</noembed><img src=x onerror=alert('noembed')>"></noembed><title><img src=x onerror=alert('title')></title><textarea><img title="</textarea><img src=x onerror=alert('ta')>"></textarea><iframe><img title="</iframe><img src=x onerror=alert('ifr')>"></iframe>`],
  ["svg/math namespace confusion", `<svg><style><img src=x onerror=alert('svgstyle')></style></svg><math><style><img src=x onerror=alert('mathstyle')></style></math><svg></p><style><a id="</style><img src=x onerror=alert('svgp')>">`],
  ["entity and encoding tricks", `<a id="click5" href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert('ent')">ent</a><a id="click6" href="java&#x0A;script:alert('nl')">nl</a><a id="click7" href="&#x6A;avascript&colon;alert('colon')">colon</a><img src=x onerror&#x3D;alert('eq')>`],
  ["conditional comments and CDATA", `<!--[if gte IE 4]><script>alert('cc')</script><![endif]--><![CDATA[<img src=x onerror=alert('cdata')>]]><!--><img src=x onerror=alert('comment')>-->`],
  // Remote loads: CSS url() in every place it may hide, SVG feImage/image/use, and HTML attributes
  ["svg feImage, image, use", `<svg width="50" height="50"><filter id="f"><feImage href="http://${EVIL}/feimage.png"/></filter><rect filter="url(#f)" width="50" height="50"/></svg><svg xmlns:xlink="http://www.w3.org/1999/xlink"><filter id="g"><feImage xlink:href="http://${EVIL}/feimage2.svg"/></filter><image href="http://${EVIL}/svgimage.png" width="10" height="10"/><use href="http://${EVIL}/use.svg#a"/></svg>`],
  [
    "css url() everywhere",
    `<style>@import url(http://${EVIL}/i1.css);@media all{@import "http://${EVIL}/i2.css";} @font-face{font-family:f;src:url(http://${EVIL}/font.woff)} .a{font-family:f;background:image-set("http://${EVIL}/is.png" 1x)} .b{cursor:url(http://${EVIL}/c.cur),auto} .c{list-style:url(http://${EVIL}/ls.png)} .d{border:10px solid;border-image:url(http://${EVIL}/bi.png) 30} .e{mask:url(http://${EVIL}/m.svg)} .f{filter:url(http://${EVIL}/f.svg#x)} .g::before{content:url(http://${EVIL}/ct.png)} .h{background:url(//${EVIL}/proto.png)} .i{background:u\\72 l(http://${EVIL}/esc.png)} .j{background:ur\\l(http://${EVIL}/esc2.png)} .k{background:url(&quot;http://${EVIL}/q.png&quot;)} .l{background:url/**/(http://${EVIL}/cm.png)} .m{--x:url(http://${EVIL}/var.png);background:var(--x)}</style>` +
      `<p class="a">a</p><p class="b">b</p><ul class="c"><li>c</li></ul><p class="d">d</p><p class="e">e</p><p class="f">f</p><p class="g">g</p><p class="h">h</p><p class="i">i</p><p class="j">j</p><p class="k">k</p><p class="l">l</p><p class="m">m</p>` +
      `<div style="background:url(http://${EVIL}/inline.png)">s1</div><div style="background-image:image-set(url(http://${EVIL}/inline-is.png) 1x)">s2</div><div style="behavior:url(http://${EVIL}/b.htc)">s3</div>`,
  ],
  [
    "remote HTML attributes",
    `<img src="http://${EVIL}/img.png"><img src="//${EVIL}/img2.png"><img srcset="http://${EVIL}/srcset.png 2x"><picture><source srcset="http://${EVIL}/pic.png"><img alt="p"></picture><video poster="http://${EVIL}/poster.png"><source src="http://${EVIL}/v.mp4"><track src="http://${EVIL}/t.vtt"></video><audio src="http://${EVIL}/a.mp3" autoplay></audio><input type="image" src="http://${EVIL}/input.png"><body background="http://${EVIL}/body.png"><table background="http://${EVIL}/table.png"><tr><td background="http://${EVIL}/td.png">t</td></tr></table><link rel="dns-prefetch" href="//${EVIL}"><link rel="preload" href="http://${EVIL}/pre.png" as="image"><img src="x" lowsrc="http://${EVIL}/low.png" dynsrc="http://${EVIL}/dyn.avi"><object data="http://${EVIL}/o.svg" type="image/svg+xml"></object><embed src="http://${EVIL}/e.svg">`,
  ],
  ["navigation and ping", `<meta http-equiv="refresh" content="0;url=http://${EVIL}/refresh"><a id="click8" href="javascript:alert('ping')" ping="http://${EVIL}/ping">ping</a><a id="click9" target="_top" href="javascript:top.__pwned='top'">top</a><form id="click10" action="http://${EVIL}/f"><button>go</button></form><base href="http://${EVIL}/"><a id="click11" href="relative-path">relative</a>`],
];

const SUBJECT_PAYLOAD = `<img src=x onerror=alert('subject')>`;
const FROM_PAYLOAD = `<svg onload=alert('from')>`;

/** A message with hostile attachments: Content-Type and Content-Disposition as attackers write them. */
function hostileAttachments(to: string): Buffer {
  const part = (headers: string[], body: string) => ["--att-b", ...headers, "", body];
  return CRLF([
    `From: "${FROM_PAYLOAD}" <mallory@${EVIL}>`,
    `To: ${to}`,
    `Subject: HX attachments =?utf-8?b?${b64(SUBJECT_PAYLOAD)}?=`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <hx-attachments@${EVIL}>`,
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="att-b"',
    "",
    ...part(["Content-Type: text/plain; charset=utf-8"], "See the attachments."),
    ...part(['Content-Type: text/html; name="invoice.html"', "Content-Disposition: inline"], `<script>alert('att-html');top.__pwned='att'</script><img src=x onerror=alert('att-img')><img src="http://${EVIL}/att.png">`),
    ...part(['Content-Type: image/svg+xml; name="logo.svg"', "Content-Disposition: inline", "Content-ID: <logo@evil>"], `<svg xmlns="http://www.w3.org/2000/svg" onload="alert('att-svg')"><script>top.__pwned='svg'</script><image href="http://${EVIL}/svg-att.png"/></svg>`),
    ...part(["Content-Type: text/html", `Content-Disposition: attachment; filename="<img src=x onerror=alert('fname')>.html"`], "<b>x</b>"),
    ...part(["Content-Type: application/octet-stream", "Content-Disposition: attachment; filename*=UTF-8''%3Cscript%3Ealert(%27rfc2231%27)%3C%2Fscript%3E.html"], "y"),
    ...part(["Content-Type: application/pdf", 'Content-Disposition: attachment; filename="safe.pdf\\"; filename=\\"evil.html"'], "%PDF-1.4"),
    ...part(['Content-Type: text/plain; name="../../../etc/passwd"', 'Content-Disposition: attachment; filename="..\\\\..\\\\evil.exe"'], "root:x:0:0"),
    ...part(['Content-Type: text/html; charset="utf-8\\"; x=\\"<script>alert(1)</script>"', "Content-Disposition: inline"], `<script>alert('ctype')</script>`),
    ...part(['Content-Type: text/plain; name="looks-plain.txt"', "Content-Disposition: inline"], `<script>alert('plain-inline')</script><img src=x onerror=alert('plain-img')>`),
    ...part(['Content-Type: message/rfc822; name="fwd.eml"', "Content-Disposition: attachment"], `Subject: inner\r\nContent-Type: text/html\r\n\r\n<script>alert('inner')</script><img src="http://${EVIL}/inner.png">`),
    "--att-b--",
  ]);
}

// ─── Browser ───────────────────────────────────────────────────────────────────────────────────

beforeAll(async () => {
  stack = await startMailStack({ web: true });
  user = (await seedUsers(["target"])).users.target;
  for (const [i, [name, html]] of HTML_CORPUS.entries()) {
    await deliverMessage({
      raw: htmlMessage({ from: `"${FROM_PAYLOAD}" <mallory@${EVIL}>`, to: user.email, subject: `HX ${i}: ${name}`, id: `<hx-${i}@${EVIL}>`, html }),
      targets: [{ userId: user.id }],
    });
  }
  await deliverMessage({ raw: hostileAttachments(user.email), targets: [{ userId: user.id }] });
  browser = await launchChromium();
}, 360_000);

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

afterAll(async () => {
  console.log(`hard XSS corpus: ${opened.length} hostile messages opened in Chromium: ${opened.join("; ")}`);
  await browser?.close();
  await stack?.stop();
});

interface Watched {
  page: Page;
  context: BrowserContext;
  /** Requests to the attacker's host (each aborted). */
  evil: string[];
  /** Requests to any other host but the web server's (aborted too; e.g. a link opened in a new tab). */
  foreign: string[];
  dialogs: string[];
}

async function newPage(): Promise<Watched> {
  const web = stack.web!;
  const context = await browser.newContext({ baseURL: web.url, viewport: { width: 1360, height: 860 }, acceptDownloads: true });
  contexts.push(context);
  const evil: string[] = [];
  const foreign: string[] = [];
  const dialogs: string[] = [];
  const origin = new URL(web.url).origin;
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("about:") || url.startsWith("blob:")) return route.continue();
    if (url.includes(EVIL)) evil.push(url);
    else foreign.push(url);
    return route.abort();
  });
  const watchDialogs = (p: Page) =>
    p.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  context.on("page", watchDialogs);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { page, context, evil, foreign, dialogs };
}

async function signIn(page: Page) {
  await signInInBrowser(page, user.email);
  await page.getByTestId("conversation-row").first().waitFor();
}

const rowByText = (page: Page, text: string) => page.getByTestId("conversation-row").filter({ hasText: text });

/** The marker any payload sets on success, in every frame of every page of the context. */
async function pwned(context: BrowserContext): Promise<string[]> {
  const hits: string[] = [];
  for (const p of context.pages()) {
    for (const f of p.frames()) {
      const v = await f.evaluate(() => (window as unknown as { __pwned?: string }).__pwned ?? null).catch(() => null);
      if (v) hits.push(`${v} in ${f.url()}`);
    }
  }
  return hits;
}

describe("HTML mail in the classes of past webmail CVEs", () => {
  it("runs no script and loads nothing from the attacker's host", async () => {
    const { page, context, evil, dialogs } = await newPage();
    await signIn(page);
    const conversation = page.getByTestId("conversation");
    for (const [i, [name]] of HTML_CORPUS.entries()) {
      await rowByText(page, `HX ${i}: `).click();
      await conversation.getByRole("heading", { name: new RegExp(`^HX ${i}: `) }).waitFor();
      const frameEl = conversation.locator("iframe");
      await frameEl.waitFor();
      const frame = (await (await frameEl.elementHandle())!.contentFrame())!;
      await frame.waitForLoadState("load");
      // SMIL animations run on their own clock: give them time to write what they would write.
      await page.waitForTimeout(400);
      await frame.locator("body").hover().catch(() => undefined);
      for (let k = 1; k <= 11; k++) {
        const el = frame.locator(`#click${k}`);
        if (await el.count()) await el.click({ timeout: 1000, noWaitAfter: true, force: true }).catch(() => undefined);
      }
      await page.waitForTimeout(300);
      // Nothing in the frame can run or point at script.
      // (The frame's own <head> carries the CSP <meta>; the mail is what is in <body>.)
      const active = await frame
        .locator("body script, body iframe, body object, body embed, body form, body meta, body link, body base, body foreignObject, body animate, body set, body use, body feImage, body [onerror], body [onload], body [onbegin], body [onanimationstart], body [onmouseover], body [ping], body[onanimationstart]")
        .evaluateAll((els) => els.map((e) => e.outerHTML.slice(0, 200)));
      expect(active, name).toEqual([]);
      const hrefs = await frame.locator("a, maction").evaluateAll((els) =>
        els.map((e) => {
          const h = (e as unknown as { href?: { animVal?: string } | string }).href;
          return (typeof h === "string" ? h : h?.animVal) ?? e.getAttribute("href") ?? e.getAttribute("xlink:href") ?? "";
        }),
      ).catch(() => [] as string[]);
      expect(hrefs.filter((h) => /^\s*(javascript|data|vbscript):/i.test(h)), name).toEqual([]);
      expect(dialogs, name).toEqual([]);
      expect(await pwned(context), name).toEqual([]);
      expect(evil, name).toEqual([]);
      opened.push(name);
    }
    expect(new URL(page.url()).origin).toBe(new URL(stack.web!.url).origin);
    expect(context.pages()).toHaveLength(1);
  }, 180_000);
});

describe("hostile attachments", () => {
  it("shows hostile names as text, renders nothing of them as HTML, and serves every one as an inert download", async () => {
    const { page, context, evil, dialogs } = await newPage();
    await signIn(page);
    const conversation = page.getByTestId("conversation");
    await rowByText(page, "HX attachments").click();
    await conversation.getByRole("heading", { name: /HX attachments/ }).waitFor();
    // The subject and sender's name are shown as the text they are.
    await conversation.getByText(SUBJECT_PAYLOAD, { exact: false }).first().waitFor();
    const chips = conversation.getByTestId("attachment");
    await chips.first().waitFor();
    const count = await chips.count();
    expect(count).toBeGreaterThanOrEqual(6);
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      expect(await f.locator("script, [onerror], [onload]").count().catch(() => 0), f.url()).toBe(0);
    }
    // In the app's own page, the hostile names are text: no element came out of them.
    expect(await page.locator("img[src='x'], svg[onload], [onerror]").count()).toBe(0);
    // Each download: octet-stream, attachment, nosniff, a filename without quotes or paths.
    const seen: string[] = [];
    for (let k = 0; k < count; k++) {
      const href = (await chips.nth(k).getAttribute("href"))!;
      const res = await page.request.get(href);
      expect(res.status(), href).toBe(200);
      const h = res.headers();
      expect(h["content-type"], href).toBe("application/octet-stream");
      expect(h["x-content-type-options"], href).toBe("nosniff");
      const cd = h["content-disposition"];
      expect(cd, href).toMatch(/^attachment; filename="[^"\\/]*"; filename\*=UTF-8''[^"\s;]*$/);
      seen.push(cd);
      // Clicking the chip downloads; nothing opens, nothing runs.
      const download = page.waitForEvent("download", { timeout: 10_000 });
      await chips.nth(k).click();
      const d = await download;
      expect(d.suggestedFilename(), href).not.toMatch(/[/\\]|^\.\./);
      await d.cancel().catch(() => undefined);
    }
    // Even opened directly in a tab, an attachment is a download, not a page in the app's origin.
    const direct = await context.newPage();
    const href = (await chips.first().getAttribute("href"))!;
    const downloadDirect = direct.waitForEvent("download", { timeout: 10_000 }).catch(() => null);
    await direct.goto(href).catch(() => undefined);
    await downloadDirect;
    await page.waitForTimeout(500);
    expect(dialogs).toEqual([]);
    expect(await pwned(context)).toEqual([]);
    expect(evil).toEqual([]);
    opened.push(`attachments (${count}: ${seen.map((s) => /filename="([^"]*)"/.exec(s)?.[1]).join(" | ")})`);
  }, 120_000);
});
