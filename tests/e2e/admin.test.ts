import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { addDomain } from "../../lib/accounts/domains.ts";
import { addUser, getUserOrThrow } from "../../lib/accounts/users.ts";
import { getPool } from "../../lib/db/client.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { rawMessage } from "../helpers/fixtures.ts";
import { startTestDns, type RecordType, type TestDns } from "../helpers/test-dns.ts";
import { launchChromium, signInInBrowser, startWebServer, type WebServer } from "../helpers/web.ts";

// Administration in a real browser (Debian's Chromium) against the production build on
// `next start`, with a real DNS server (dns2 on 127.0.0.1) behind DNS_SERVERS.

const HOST = "mail.pigeon.test";
let db: TestDatabase;
let dns: TestDns;
let web: WebServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  dns = await startTestDns();
  for (const d of ["pigeon.test", "beta.test", "gamma.test"]) await addDomain({ name: d });
  await addUser({ email: "root@pigeon.test", password: "correct horse", role: "ADMIN" });
  await addUser({ email: "boss@beta.test", password: "correct horse", role: "DOMAIN_ADMIN" });
  await addUser({ email: "joe@beta.test", password: "correct horse" });
  await addUser({ email: "ann@gamma.test", password: "correct horse" });
  web = await startWebServer({ databaseUrl: db.url, env: { MAIL_HOSTNAME: HOST, DNS_SERVERS: dns.address } });
  browser = await launchChromium();
}, 360_000);

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await dns?.close();
  await db?.drop();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ baseURL: web.url });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("dialog", (d) => void d.accept());
  return page;
}

/** With PIGEON_SCREENSHOTS=1, saves a full-page screenshot to tests/e2e/screenshots/ (git-ignored). */
async function shot(page: Page, name: string) {
  if (!process.env.PIGEON_SCREENSHOTS) return;
  await page.screenshot({ path: `tests/e2e/screenshots/admin-${name}.png`, fullPage: true });
}

/** The records as the page shows them: name, type, value. */
async function recordsOnPage(page: Page) {
  const rows = page.getByTestId("dns-record");
  const out: { name: string; type: RecordType; value: string; status: string }[] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    out.push({
      name: (await row.getAttribute("data-record-name"))!,
      type: (await row.getAttribute("data-record-type")) as RecordType,
      value: (await row.locator("code").textContent())!,
      status: (await row.getAttribute("data-status")) ?? "",
    });
  }
  return out;
}

/** Clicks "Check DNS" and waits for a new set of results. */
async function checkDns(page: Page) {
  const summary = page.getByTestId("dns-check-summary");
  const checkedAt = async () => ((await summary.count()) ? await summary.getAttribute("data-checked-at") : null);
  const before = await checkedAt();
  await page.getByRole("button", { name: "Check DNS" }).click();
  await expect.poll(checkedAt).not.toBe(before);
  expect(await page.locator('[data-testid="dns-record"][data-status=""]').count()).toBe(0);
}

describe("platform admin", () => {
  it("adds a domain, publishes its records and sees each one checked against DNS", async () => {
    const page = await newPage();
    await signInInBrowser(page, "root@pigeon.test");
    await page.goto("/admin");
    await page.waitForURL("**/admin/domains");
    await page.getByLabel("New domain").fill("Example.Test");
    await page.getByRole("button", { name: "Add domain" }).click();
    await page.waitForURL("**/admin/domains/example.test");
    expect(await page.getByTestId("domain-name").textContent()).toBe("example.test");

    const records = await recordsOnPage(page);
    const mx = records.find((r) => r.type === "MX")!;
    expect(mx).toMatchObject({ name: "example.test.", value: `10 ${HOST}.` });
    expect(records.find((r) => r.name === "_dmarc.example.test.")?.value).toContain("v=DMARC1");
    const dkim = records.filter((r) => r.name.endsWith("._domainkey.example.test."));
    expect(dkim).toHaveLength(1);
    expect(dkim[0].value).toMatch(/^"v=DKIM1; k=rsa; p=MIIB/);
    expect(records.filter((r) => r.type === "SRV").map((r) => `${r.name} ${r.value}`)).toEqual([
      `_submissions._tcp.example.test. 0 1 465 ${HOST}.`,
      `_submission._tcp.example.test. 0 1 587 ${HOST}.`,
      `_imaps._tcp.example.test. 0 1 993 ${HOST}.`,
      `_imap._tcp.example.test. 0 1 143 ${HOST}.`,
      `_pop3s._tcp.example.test. 0 1 995 ${HOST}.`,
      `_pop3._tcp.example.test. 0 1 110 ${HOST}.`,
    ]);
    expect(records.find((r) => r.name === "autoconfig.example.test.")).toMatchObject({ type: "CNAME", value: `${HOST}.` });

    // Nothing published yet.
    await checkDns(page);
    expect(new Set((await recordsOnPage(page)).map((r) => r.status))).toEqual(new Set(["missing"]));

    // Publish what the page shows (as an admin copies it to the DNS provider), one MX wrong.
    for (const r of records) dns.set(r.name, { [r.type]: [r.value] });
    dns.set("example.test.", { MX: ["5 mx.old-provider.example."] });
    await checkDns(page);
    await shot(page, "dns-check");
    const checked = await recordsOnPage(page);
    expect(checked.filter((r) => r.status !== "ok").map((r) => `${r.type} ${r.name} ${r.status}`)).toEqual(["MX example.test. wrong"]);
    const mxRow = page.locator('[data-testid="dns-record"][data-record-type="MX"]');
    expect(await mxRow.getByTestId("dns-status").textContent()).toBe("Wrong");
    expect(await mxRow.getByTestId("dns-found").textContent()).toContain("Found: 5 mx.old-provider.example.");
    expect(await page.getByTestId("dns-check-summary").textContent()).toBe(`${records.length - 1} of ${records.length} records OK`);

    dns.set("example.test.", { MX: [mx.value] });
    await checkDns(page);
    await expect.poll(async () => page.getByTestId("dns-check-summary").textContent()).toBe(`${records.length} of ${records.length} records OK`);

    // DKIM rotation: the new key is listed (to publish) while the old one still signs.
    await page.getByRole("button", { name: "Add a new key (rotate)" }).click();
    await expect.poll(() => page.locator('[data-testid="dkim-key"][data-state="pending"]').count()).toBe(1);
    await expect.poll(async () => (await recordsOnPage(page)).filter((r) => r.name.endsWith("._domainkey.example.test.")).length).toBe(2);
    expect(await page.locator('[data-testid="dkim-key"][data-state="signing"]').count()).toBe(1);
  });

  it("creates a user who then signs in and receives mail; usage shows; disabling signs them out", async () => {
    const admin = await newPage();
    await signInInBrowser(admin, "root@pigeon.test");
    await admin.goto("/admin/users");
    const form = admin.getByTestId("create-user");
    await form.getByLabel("Email address").fill("new@beta.test");
    await form.getByLabel("Password").fill("a fresh horse");
    await form.getByLabel("Quota").fill("1G");
    await form.getByRole("button", { name: "Create user" }).click();
    await expect.poll(() => form.getByTestId("form-success").textContent()).toBe("Created new@beta.test.");
    const row = admin.locator('[data-testid="user-row"][data-email="new@beta.test"]');
    await expect.poll(() => row.getByTestId("usage").textContent()).toContain("0 B of 1 GiB");

    const user = await newPage();
    await signInInBrowser(user, "new@beta.test", "a fresh horse");
    const { id } = await getUserOrThrow({ email: "new@beta.test" });
    await deliverMessage({ raw: rawMessage({ to: "new@beta.test", subject: "Welcome aboard" }), targets: [{ userId: id }] });
    const inbox = await getPool().query<{ subject: string }>(
      `SELECT b.subject FROM messages m JOIN mailboxes x ON x.id = m.mailbox_id JOIN blobs b ON b.hash = m.blob_hash
       WHERE m.user_id = $1 AND x.name = 'INBOX'`,
      [id],
    );
    expect(inbox.rows.map((r) => r.subject)).toEqual(["Welcome aboard"]);
    await user.goto("/settings/clients");
    expect(await user.getByTestId("client-username").textContent()).toBe("new@beta.test");
    expect(await user.locator('[data-testid="imaps"] [data-testid="port"]').textContent()).toBe("993");
    await shot(user, "client-setup");

    await admin.reload();
    await expect.poll(() => row.getByTestId("usage").textContent()).toMatch(/^\d+ B of 1 GiB/);
    expect(await row.getByTestId("usage").textContent()).not.toContain("0 B of");

    await row.getByText("Manage new@beta.test").click();
    await shot(admin, "users");
    await row.getByTestId("toggle-disabled").getByRole("button", { name: "Disable" }).click();
    await expect.poll(() => row.getByTestId("user-disabled").count()).toBe(1);
    await user.goto("/settings/clients");
    expect(new URL(user.url()).pathname).toBe("/login");
  });
});

describe("domain admin", () => {
  it("manages their own domain and cannot see another", async () => {
    const page = await newPage();
    await signInInBrowser(page, "boss@beta.test");
    await page.goto("/admin/domains");
    expect(await page.getByTestId("domain-row").allTextContents()).toEqual([expect.stringContaining("beta.test")]);
    expect(await page.getByRole("link", { name: "Outbound queue" }).count()).toBe(0);
    expect(await page.getByLabel("New domain").count()).toBe(0);

    await page.goto("/admin/users");
    const emails = await page.getByTestId("user-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-email")));
    expect(emails.every((e) => e!.endsWith("@beta.test"))).toBe(true);
    expect(emails).toContain("joe@beta.test");

    await page.goto("/admin/aliases");
    const form = page.getByTestId("create-alias");
    await form.getByLabel("Address").fill("@beta.test");
    await form.getByLabel("Delivers to (users, comma separated)").fill("joe@beta.test");
    await form.getByRole("button", { name: "Add alias" }).click();
    await expect.poll(() => form.getByTestId("form-success").textContent()).toBe("Catch-all for beta.test delivers to joe@beta.test.");
    await shot(page, "aliases");
    await form.getByLabel("Address").fill("sales@gamma.test");
    await form.getByLabel("Delivers to (users, comma separated)").fill("ann@gamma.test");
    await form.getByRole("button", { name: "Add alias" }).click();
    await expect.poll(() => form.getByTestId("form-error").textContent()).toBe("You do not administer gamma.test.");

    for (const path of ["/admin/domains/gamma.test", "/admin/users?domain=gamma.test", "/admin/queue"]) {
      const res = await page.goto(path);
      expect(res?.status(), path).toBe(403);
    }
    const api = await page.request.get("/api/admin/users?domain=gamma.test");
    expect(api.status()).toBe(403);
  });
});

describe("user", () => {
  it("gets 403 on admin pages and routes", async () => {
    const page = await newPage();
    await signInInBrowser(page, "joe@beta.test");
    for (const path of ["/admin", "/admin/domains", "/admin/users", "/admin/domains/beta.test"]) {
      const res = await page.goto(path);
      expect(res?.status(), path).toBe(403);
      expect(await page.locator("h1").textContent()).toContain("Administrators only");
      await shot(page, "forbidden");
    }
    for (const path of ["/api/admin/domains", "/api/admin/users", "/api/admin/queue"]) {
      expect((await page.request.get(path)).status(), path).toBe(403);
    }
    const post = await page.request.post("/api/admin/domains", { data: { name: "mine.test" }, headers: { origin: web.url } });
    expect(post.status()).toBe(403);
  });
});

describe("client set-up", () => {
  it("serves autoconfig XML that parses, with the server names, ports and security", async () => {
    const page = await newPage();
    await page.goto("/login");
    const servers = await page.evaluate(async () => {
      const res = await fetch("/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=joe%40beta.test");
      const doc = new DOMParser().parseFromString(await res.text(), "application/xml");
      if (doc.querySelector("parsererror")) throw new Error("autoconfig XML does not parse");
      const text = (el: Element, tag: string) => el.getElementsByTagName(tag)[0]?.textContent ?? "";
      return {
        provider: doc.documentElement.nodeName + " " + doc.getElementsByTagName("emailProvider")[0].getAttribute("id"),
        domains: [...doc.getElementsByTagName("domain")].map((d) => d.textContent),
        servers: [...doc.querySelectorAll("incomingServer, outgoingServer")].map((s) =>
          [s.nodeName, s.getAttribute("type"), text(s, "hostname"), text(s, "port"), text(s, "socketType"), text(s, "username")].join(" "),
        ),
      };
    });
    expect(servers.provider).toBe("clientConfig beta.test");
    expect(servers.domains).toEqual(["beta.test"]);
    expect(servers.servers).toEqual([
      `incomingServer imap ${HOST} 993 SSL %EMAILADDRESS%`,
      `incomingServer imap ${HOST} 143 STARTTLS %EMAILADDRESS%`,
      `incomingServer pop3 ${HOST} 995 SSL %EMAILADDRESS%`,
      `incomingServer pop3 ${HOST} 110 STARTTLS %EMAILADDRESS%`,
      `outgoingServer smtp ${HOST} 465 SSL %EMAILADDRESS%`,
      `outgoingServer smtp ${HOST} 587 STARTTLS %EMAILADDRESS%`,
    ]);
  });
});
