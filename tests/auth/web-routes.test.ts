import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPool } from "../../lib/db/client.ts";
import { hashSessionToken } from "../../lib/auth/sessions.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { CookieJar, signInOverHttp, startWebServer, type WebServer } from "../helpers/web.ts";

// The real Next.js server over HTTP: sign-in through Auth.js, sessions checked in Postgres on every
// request, devices, CSRF, cookie attributes, the failed-login limit.

let db: TestDatabase;
let web: WebServer;
let alice: { id: number; email: string };
let bob: { id: number; email: string };
const SESSION_COOKIE = "authjs.session-token";

beforeAll(async () => {
  db = await createTestDatabase();
  const seeded = await seedUsers(["alice", "bob"]);
  alice = seeded.users.alice;
  bob = seeded.users.bob;
  web = await startWebServer({ databaseUrl: db.url });
}, 360_000);

afterAll(async () => {
  await web?.stop();
  await db?.drop();
});

async function signedIn(email = alice.email, headers: Record<string, string> = {}): Promise<CookieJar> {
  const jar = new CookieJar();
  const r = await signInOverHttp(web, jar, { email, password: "correct horse" }, { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", ...headers });
  expect(r.status).toBe(302);
  expect(r.location).toBe(`${web.url}/mail`);
  expect(jar.cookies.get(SESSION_COOKIE)).toBeTruthy();
  return jar;
}

async function whoami(jar: CookieJar): Promise<{ status: number; body: { user?: { email: string }; sessionId?: string } }> {
  const res = await jar.fetch(`${web.url}/api/session`);
  return { status: res.status, body: (await res.json()) as { user?: { email: string }; sessionId?: string } };
}

describe("sign-in", () => {
  it("sends signed-out visitors of /mail and /settings to /login", async () => {
    for (const p of ["/mail", "/settings/devices", "/settings/security", "/settings/app-passwords"]) {
      const res = await fetch(`${web.url}${p}`, { redirect: "manual" });
      expect([303, 307], p).toContain(res.status);
      expect(new URL(res.headers.get("location")!, web.url).pathname, p).toBe("/login");
    }
    const api = await fetch(`${web.url}/api/session`);
    expect(api.status).toBe(401);
  });

  it("serves the login page", async () => {
    const res = await fetch(`${web.url}/login`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Sign in");
    expect(html).toContain('name="password"');
  });

  it("signs in with email and password, with an HttpOnly SameSite=Lax cookie, and shows the inbox placeholder", async () => {
    const jar = new CookieJar();
    const csrfToken = ((await (await jar.fetch(`${web.url}/api/auth/csrf`)).json()) as { csrfToken: string }).csrfToken;
    const res = await jar.fetch(`${web.url}/api/auth/callback/credentials`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: web.url },
      body: new URLSearchParams({ email: alice.email.toUpperCase(), password: "correct horse", csrfToken, callbackUrl: `${web.url}/mail` }),
    });
    expect(res.status).toBe(302);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).toMatch(/;\s*Path=\//i);
    expect(cookie).not.toMatch(/;\s*Secure/i); // PUBLIC_URL is http here

    const me = await whoami(jar);
    expect(me.status).toBe(200);
    expect(me.body.user?.email).toBe(alice.email);

    const page = await jar.fetch(`${web.url}/mail`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Inbox");
    expect(html).toContain(alice.email);
    expect(html).toContain("/settings/devices");

    // The landing page sends a signed-in visitor to the inbox.
    const landing = await jar.fetch(`${web.url}/`);
    expect(new URL(landing.headers.get("location")!, web.url).pathname).toBe("/mail");
  });

  it("refuses a wrong password without a session cookie", async () => {
    const jar = new CookieJar();
    const r = await signInOverHttp(web, jar, { email: alice.email, password: "wrong horse" }, { "x-forwarded-for": "198.51.100.20" });
    expect(r.status).toBe(302);
    const loc = new URL(r.location);
    expect(loc.pathname).toBe("/login");
    expect(loc.searchParams.get("code")).toBe("invalid");
    expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);
    const page = await (await fetch(r.location)).text();
    expect(page).toContain("Incorrect email or password.");
  });

  it("refuses a sign-in posted without Auth.js's CSRF token", async () => {
    const res = await fetch(`${web.url}/api/auth/callback/credentials`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: new URLSearchParams({ email: alice.email, password: "correct horse", callbackUrl: `${web.url}/mail` }),
    });
    expect(res.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    expect(res.headers.get("location") ?? "").toContain("error=MissingCSRF");
  });

  it("never reuses a session planted before sign-in", async () => {
    const jar = await signedIn();
    const planted = jar.cookies.get(SESSION_COOKIE)!;
    const plantedId = (await whoami(jar)).body.sessionId!;
    // The same browser (cookie still set) signs in again: a new token, a new row.
    const r = await signInOverHttp(web, jar, { email: alice.email, password: "correct horse" });
    expect(r.status).toBe(302);
    const fresh = jar.cookies.get(SESSION_COOKIE)!;
    expect(fresh).not.toBe(planted);
    const freshId = (await whoami(jar)).body.sessionId!;
    expect(freshId).not.toBe(plantedId);

    // A made-up cookie is simply no session, and signing in replaces it.
    const forged = new CookieJar();
    forged.cookies.set(SESSION_COOKIE, "attacker-chosen-value");
    expect((await whoami(forged)).status).toBe(401);
    await signInOverHttp(web, forged, { email: alice.email, password: "correct horse" });
    expect(forged.cookies.get(SESSION_COOKIE)).not.toBe("attacker-chosen-value");
    expect((await whoami(forged)).status).toBe(200);
  });

  it("signs out: the session row is revoked, so even a replayed cookie is refused", async () => {
    const jar = await signedIn();
    const cookie = jar.cookies.get(SESSION_COOKIE)!;
    const { sessionId } = (await whoami(jar)).body;
    const res = await jar.fetch(`${web.url}/api/session`, { method: "DELETE", headers: { origin: web.url } });
    expect(res.status).toBe(204);
    expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);
    const row = await getPool().query("SELECT revoked_at FROM sessions WHERE id = $1", [sessionId]);
    expect(row.rows[0].revoked_at).not.toBeNull();

    const replay = new CookieJar();
    replay.cookies.set(SESSION_COOKIE, cookie);
    expect((await whoami(replay)).status).toBe(401);
    const page = await replay.fetch(`${web.url}/settings/devices`);
    expect(new URL(page.headers.get("location")!, web.url).pathname).toBe("/login");
  });

  it("stops a session at its next request once the user is disabled", async () => {
    const jar = await signedIn(bob.email);
    expect((await whoami(jar)).status).toBe(200);
    await getPool().query("UPDATE users SET disabled = true WHERE id = $1", [bob.id]);
    try {
      expect((await whoami(jar)).status).toBe(401);
      const r = await signInOverHttp(web, new CookieJar(), { email: bob.email, password: "correct horse" });
      expect(new URL(r.location).searchParams.get("code")).toBe("disabled");
    } finally {
      await getPool().query("UPDATE users SET disabled = false WHERE id = $1", [bob.id]);
    }
  });
});

describe("behind an https PUBLIC_URL", () => {
  it("sets Secure, __Secure-/__Host- prefixed cookies", async () => {
    const secure = await startWebServer({ databaseUrl: db.url, env: { PUBLIC_URL: "https://mail.example.test" } });
    try {
      // As a TLS-terminating proxy would forward it.
      const proxied = { "x-forwarded-proto": "https", "x-forwarded-host": "mail.example.test" };
      const jar = new CookieJar();
      const csrf = await jar.fetch(`${secure.url}/api/auth/csrf`, { headers: proxied });
      expect(csrf.headers.getSetCookie().find((c) => c.startsWith("__Host-authjs.csrf-token="))).toMatch(/;\s*Secure/i);
      const { csrfToken } = (await csrf.json()) as { csrfToken: string };
      const res = await jar.fetch(`${secure.url}/api/auth/callback/credentials`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://mail.example.test", ...proxied },
        body: new URLSearchParams({ email: alice.email, password: "correct horse", csrfToken, callbackUrl: "https://mail.example.test/mail" }),
      });
      expect(res.headers.get("location")).toBe("https://mail.example.test/mail");
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith("__Secure-authjs.session-token="))!;
      expect(cookie).toMatch(/;\s*Secure/i);
      expect(cookie).toMatch(/;\s*HttpOnly/i);
      expect(cookie).toMatch(/;\s*SameSite=Lax/i);
      const me = await jar.fetch(`${secure.url}/api/session`, { headers: proxied });
      expect(me.status).toBe(200);
    } finally {
      await secure.stop();
    }
  });
});

describe("devices", () => {
  it("lists every session with browser, system and address; ending one stops it at its next request", async () => {
    await getPool().query("UPDATE sessions SET revoked_at = now() WHERE user_id = $1", [alice.id]);
    const laptop = await signedIn(alice.email, { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0" });
    const phone = await signedIn(alice.email, {
      "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
    });
    const phoneId = (await whoami(phone)).body.sessionId!;

    const list = await laptop.fetch(`${web.url}/api/session/devices`);
    expect(list.status).toBe(200);
    const { sessions } = (await list.json()) as { sessions: { id: string; browser: string; os: string; ip: string; current: boolean; createdAt: string; lastSeenAt: string }[] };
    expect(sessions).toHaveLength(2);
    const current = sessions.find((s) => s.current)!;
    expect(current).toMatchObject({ browser: "Firefox 140", os: "Linux", ip: "127.0.0.1" });
    expect(sessions.find((s) => !s.current)).toMatchObject({ id: phoneId, browser: "Safari 18", os: "iOS" });
    expect(Date.parse(current.createdAt)).toBeGreaterThan(Date.now() - 60_000);

    const page = await (await laptop.fetch(`${web.url}/settings/devices`)).text();
    expect(page).toContain("Safari 18");
    expect(page).toContain("This device");

    const end = await laptop.fetch(`${web.url}/api/session/devices/${phoneId}`, { method: "DELETE", headers: { origin: web.url } });
    expect(end.status).toBe(204);
    expect((await whoami(phone)).status).toBe(401);
    expect((await whoami(laptop)).status).toBe(200);
    const again = await laptop.fetch(`${web.url}/api/session/devices/${phoneId}`, { method: "DELETE", headers: { origin: web.url } });
    expect(again.status).toBe(404);
  });

  it("cannot end another user's session", async () => {
    const aliceJar = await signedIn(alice.email);
    const bobJar = await signedIn(bob.email);
    const bobId = (await whoami(bobJar)).body.sessionId!;
    const res = await aliceJar.fetch(`${web.url}/api/session/devices/${bobId}`, { method: "DELETE", headers: { origin: web.url } });
    expect(res.status).toBe(404);
    expect((await whoami(bobJar)).status).toBe(200);
  });

  it("ends all other sessions, and refuses to without a same-origin Origin (CSRF)", async () => {
    const a = await signedIn();
    const b = await signedIn();
    const c = await signedIn();
    const attempts: Record<string, string>[] = [{}, { origin: "https://evil.example" }, { origin: "null" }, { referer: "https://evil.example/page" }];
    for (const headers of attempts) {
      const refused = await a.fetch(`${web.url}/api/session/devices`, { method: "DELETE", headers });
      expect(refused.status, JSON.stringify(headers)).toBe(403);
    }
    expect((await whoami(b)).status).toBe(200);

    const res = await a.fetch(`${web.url}/api/session/devices`, { method: "DELETE", headers: { origin: web.url } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { ended: number }).ended).toBeGreaterThanOrEqual(2);
    expect((await whoami(a)).status).toBe(200);
    expect((await whoami(b)).status).toBe(401);
    expect((await whoami(c)).status).toBe(401);
  });

  it("keeps the row id as the sha256 of a token that only the cookie holds", async () => {
    const jar = await signedIn();
    const { sessionId } = (await whoami(jar)).body;
    expect(sessionId).toMatch(/^[0-9a-f]{64}$/);
    // The cookie is Auth.js's encrypted JWT: neither the id nor the token appear in it.
    const cookie = jar.cookies.get(SESSION_COOKIE)!;
    expect(cookie).not.toContain(sessionId!);
    expect(hashSessionToken("x")).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("failed-login limit on the web", () => {
  it("refuses the 11th failed sign-in within a minute from one address, even with the right password", async () => {
    const ip = { "x-forwarded-for": "203.0.113.77" };
    for (let i = 1; i <= 10; i++) {
      const r = await signInOverHttp(web, new CookieJar(), { email: bob.email, password: `wrong ${i}` }, ip);
      expect(new URL(r.location).searchParams.get("code"), `attempt ${i}`).toBe("invalid");
    }
    const jar = new CookieJar();
    const r = await signInOverHttp(web, jar, { email: bob.email, password: "correct horse" }, ip);
    expect(new URL(r.location).searchParams.get("code")).toBe("rate-limited");
    expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);
    const page = await (await fetch(r.location)).text();
    expect(page).toContain("Too many failed sign-in attempts");

    // Another address is not affected.
    const other = await signInOverHttp(web, new CookieJar(), { email: bob.email, password: "correct horse" }, { "x-forwarded-for": "203.0.113.78" });
    expect(other.location).toBe(`${web.url}/mail`);
  });
});
