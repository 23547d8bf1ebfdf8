import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "../../lib/db/client.ts";
import { verifyMailLogin } from "../../lib/auth/mail-login.ts";
import { totpCode } from "../../lib/auth/totp.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { launchChromium, signInInBrowser, startWebServer, submitSignInForm, type WebServer } from "../helpers/web.ts";

// Sign-in, devices, two-factor and app passwords in a real browser (Debian's Chromium) against
// the production build on `next start`.

let db: TestDatabase;
let web: WebServer;
let browser: Browser;
let users: Record<string, { id: number; email: string }>;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  users = (await seedUsers(["alice", "tina", "paul", "anna", "bruno"])).users;
  web = await startWebServer({ databaseUrl: db.url });
  browser = await launchChromium();
}, 360_000);

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await db?.drop();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ baseURL: web.url });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

async function fillSignIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await submitSignInForm(page, email, password);
}

async function signIn(page: Page, email: string, password = "correct horse") {
  await signInInBrowser(page, email, password);
  await expect.poll(() => page.getByTestId("signed-in-as").textContent()).toBe(email);
}

const pathOf = (page: Page) => new URL(page.url()).pathname;

/** With PIGEON_SCREENSHOTS=1, saves a full-page screenshot to tests/e2e/screenshots/ (git-ignored). */
async function shot(page: Page, name: string) {
  if (!process.env.PIGEON_SCREENSHOTS) return;
  await page.screenshot({ path: `tests/e2e/screenshots/auth-${name}.png`, fullPage: true });
}

describe("devices", () => {
  it("one browser ends the other's session; the other's next navigation lands on /login", async () => {
    const laptop = await newPage();
    const phone = await newPage();
    await signIn(laptop, users.alice.email);
    await signIn(phone, users.alice.email);

    await laptop.getByRole("link", { name: "Devices" }).click();
    await laptop.waitForURL("**/settings/devices");
    const rows = laptop.getByTestId("session-row");
    await expect.poll(() => rows.count()).toBe(2);
    await shot(laptop, "devices");
    await expect.poll(() => laptop.locator('[data-testid="session-row"][data-current="true"]').textContent()).toContain("This device");
    expect(await laptop.locator('[data-testid="session-row"][data-current="true"]').textContent()).toMatch(/Chrome \d+ on Linux/);

    // The phone is on the settings pages too, which stay mounted across client-side navigations.
    await phone.goto("/settings/devices");
    await laptop.locator('[data-testid="session-row"][data-current="false"]').getByRole("button", { name: "Sign out device" }).click();
    await expect.poll(() => rows.count()).toBe(1);

    // A client-side navigation (a link in the settings menu) …
    await phone.getByRole("link", { name: "Security" }).click();
    await phone.waitForURL("**/login");
    expect(pathOf(phone)).toBe("/login");
    // … and a full load both land on the sign-in page.
    await phone.goto("/mail");
    expect(pathOf(phone)).toBe("/login");

    // The laptop is still in.
    await laptop.goto("/mail");
    expect(pathOf(laptop)).toBe("/mail");
  });

  it("signs out all other devices at once, and signs out from the header", async () => {
    const [a, b, c] = [await newPage(), await newPage(), await newPage()];
    for (const p of [a, b, c]) await signIn(p, users.anna.email);
    await a.goto("/settings/devices");
    await a.getByRole("button", { name: /Sign out all other devices \(2\)/ }).click();
    await expect.poll(() => a.getByTestId("session-row").count()).toBe(1);
    for (const p of [b, c]) {
      await p.goto("/settings/app-passwords");
      expect(pathOf(p)).toBe("/login");
    }
    await a.getByRole("button", { name: "Sign out", exact: true }).first().click();
    await a.waitForURL("**/login");
    const active = await getPool().query("SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL", [users.anna.id]);
    expect(active.rows[0].n).toBe(0);
    await a.goto("/settings/devices");
    expect(pathOf(a)).toBe("/login");
  });

  it("changing the password signs out every other device", async () => {
    const here = await newPage();
    const there = await newPage();
    await signIn(here, users.paul.email);
    await signIn(there, users.paul.email);
    await here.goto("/settings/security");
    await here.getByLabel("Current password").fill("correct horse");
    await here.getByLabel("New password", { exact: true }).fill("brand new horse");
    await here.getByLabel("Repeat the new password").fill("brand new horse");
    await here.getByRole("button", { name: "Change password" }).click();
    await expect.poll(() => here.getByTestId("form-success").textContent()).toContain("1 other session was signed out");

    await there.goto("/mail");
    expect(pathOf(there)).toBe("/login");
    await here.goto("/mail");
    expect(pathOf(here)).toBe("/mail");
    await shot(here, "mail");
    const again = await newPage();
    await signIn(again, users.paul.email, "brand new horse");
  });
});

describe("two-factor sign-in", () => {
  it("enrols with a QR code and a code, then asks for a code (or a recovery code) at sign-in", async () => {
    const page = await newPage();
    await signIn(page, users.tina.email);
    await page.goto("/settings/security");
    await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();

    const qr = page.getByRole("img", { name: "QR code for your authenticator app" });
    await qr.waitFor();
    await shot(page, "two-factor-enrol");
    expect(await qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml;base64,/);
    const secret = (await page.getByTestId("totp-secret").textContent())!.replace(/\s/g, "");
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    await page.getByLabel("Code from the app").fill("000000");
    await page.getByRole("button", { name: "Turn on" }).click();
    await expect.poll(() => page.getByTestId("form-error").textContent()).toContain("does not match");
    await page.getByLabel("Code from the app").fill(totpCode({ secret }));
    await page.getByRole("button", { name: "Turn on" }).click();
    const codes = page.getByTestId("recovery-codes").locator("li");
    await expect.poll(() => codes.count()).toBe(10);
    const recovery = (await codes.allTextContents()).map((s) => s.trim());
    await shot(page, "two-factor-recovery-codes");
    await page.getByRole("link", { name: "Done" }).click();
    await expect.poll(() => page.getByTestId("recovery-codes-left").textContent()).toBe("10");

    // Sign out, then in: the password is not enough any more.
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForURL("**/login");
    await fillSignIn(page, users.tina.email, "correct horse");
    await page.getByLabel("Authentication code").waitFor();
    expect(pathOf(page)).toBe("/login");
    await shot(page, "login-code");
    await page.getByLabel("Authentication code").fill("123456");
    await page.getByRole("button", { name: "Verify" }).click();
    await expect.poll(() => page.getByTestId("login-error").textContent()).toContain("That code is not valid");
    // The enrolment used this step's code, and a code is good once: use the next step's (the
    // server accepts one step of drift).
    await page.getByLabel("Authentication code").fill(totpCode({ secret, now: new Date(Date.now() + 30_000) }));
    await page.getByRole("button", { name: "Verify" }).click();
    await page.waitForURL("**/mail");

    // A recovery code works once, instead of the app.
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForURL("**/login");
    await fillSignIn(page, users.tina.email, "correct horse");
    await page.getByLabel("Authentication code").fill(recovery[0]);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.waitForURL("**/mail");
    await page.goto("/settings/security");
    await expect.poll(() => page.getByTestId("recovery-codes-left").textContent()).toBe("9");

    // The mail clients' side: with two-factor on, the account password no longer opens IMAP.
    expect(await verifyMailLogin({ email: users.tina.email, password: "correct horse", ip: "10.9.0.1", protocol: "imap" })).toEqual({ ok: false, reason: "invalid" });
  });
});

describe("app passwords", () => {
  it("creates one (shown once) that logs in to IMAP, shows its last use, and revokes it", async () => {
    const page = await newPage();
    await signIn(page, users.alice.email);
    await page.goto("/settings/app-passwords");
    await page.getByLabel("Name").fill("Thunderbird");
    await page.getByRole("button", { name: "Create" }).click();
    const shown = page.getByTestId("new-app-password");
    await shown.waitFor();
    const password = (await shown.textContent())!.trim();
    expect(password).toMatch(/^[a-z]{4} [a-z]{4} [a-z]{4} [a-z]{4}$/);
    await shot(page, "app-passwords");
    const row = page.getByTestId("app-password-row").filter({ hasText: "Thunderbird" });
    await expect.poll(() => row.textContent()).toContain("never used");

    const login = await verifyMailLogin({ email: users.alice.email, password, ip: "10.9.0.2", protocol: "imap" });
    expect(login).toMatchObject({ ok: true, method: "app-password" });
    await page.reload();
    expect(await page.getByTestId("new-app-password").count()).toBe(0); // never shown again
    await expect.poll(() => row.textContent()).toContain("last used");

    // Require app passwords: the account password stops working for mail clients.
    await page.getByRole("button", { name: "Require app passwords" }).click();
    await expect.poll(() => page.getByTestId("mail-password-status").textContent()).toContain("must use app passwords");
    expect(await verifyMailLogin({ email: users.alice.email, password: "correct horse", ip: "10.9.0.3", protocol: "pop3" })).toEqual({ ok: false, reason: "invalid" });

    await row.getByRole("button", { name: "Revoke" }).click();
    await expect.poll(() => row.count()).toBe(0);
    expect(await verifyMailLogin({ email: users.alice.email, password, ip: "10.9.0.4", protocol: "imap" })).toEqual({ ok: false, reason: "invalid" });
  });
});

describe("failed-login limit", () => {
  it("refuses the 11th failed sign-in within a minute from one address, even with the right password", async () => {
    await getPool().query("DELETE FROM rate_limits");
    const page = await newPage();
    for (let i = 1; i <= 10; i++) {
      await fillSignIn(page, users.bruno.email, `not it ${i}`);
      await expect.poll(() => page.getByTestId("login-error").textContent(), { message: `attempt ${i}` }).toBe("Incorrect email or password.");
    }
    await fillSignIn(page, users.bruno.email, "correct horse");
    await expect.poll(() => page.getByTestId("login-error").textContent()).toMatch(/Too many failed logins from your address\. Try again in \d+ s\./);
    expect(pathOf(page)).toBe("/login");
    await shot(page, "login-rate-limited");
    await getPool().query("DELETE FROM rate_limits");
  });
});
