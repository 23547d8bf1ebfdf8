import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DnsRecord, formatZone } from "../../lib/accounts/dns-records.ts";
import { addDomain } from "../../lib/accounts/domains.ts";
import { addUser } from "../../lib/accounts/users.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestDns, type TestDns } from "../helpers/test-dns.ts";
import { CookieJar, signInOverHttp, startWebServer, type WebServer } from "../helpers/web.ts";

// The admin pages and /api/admin routes on the real Next.js server: who gets in (role checked on
// the server, 403 for the others), what a domain admin sees, the DNS check through DNS_SERVERS,
// and the client set-up documents (autoconfig, autodiscover, .mobileconfig, MTA-STS).

const HOST = "mail.pigeon.test";
let db: TestDatabase;
let dns: TestDns;
let web: WebServer;
const jars: Record<string, CookieJar> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  dns = await startTestDns();
  for (const d of ["own.test", "other.test"]) await addDomain({ name: d });
  await addUser({ email: "root@own.test", password: "correct horse", role: "ADMIN" });
  await addUser({ email: "boss@own.test", password: "correct horse", role: "DOMAIN_ADMIN" });
  await addUser({ email: "joe@own.test", password: "correct horse" });
  await addUser({ email: "ann@other.test", password: "correct horse" });
  web = await startWebServer({ databaseUrl: db.url, env: { MAIL_HOSTNAME: HOST, DNS_SERVERS: dns.address } });
  for (const [who, email] of Object.entries({ root: "root@own.test", boss: "boss@own.test", joe: "joe@own.test" })) {
    jars[who] = new CookieJar();
    const r = await signInOverHttp(web, jars[who], { email, password: "correct horse" });
    expect(r.status).toBe(302);
  }
}, 360_000);

afterAll(async () => {
  await web?.stop();
  await dns?.close();
  await db?.drop();
});

/** Follows redirects with the jar; returns the last response and its path. */
async function open(jar: CookieJar | null, path: string): Promise<{ status: number; path: string; text: string }> {
  let url = `${web.url}${path}`;
  for (let i = 0; i < 5; i++) {
    const res = jar ? await jar.fetch(url) : await fetch(url, { redirect: "manual" });
    const loc = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && loc) {
      url = new URL(loc, url).toString();
      continue;
    }
    return { status: res.status, path: new URL(url).pathname, text: await res.text() };
  }
  throw new Error("too many redirects");
}

function api(jar: CookieJar, path: string, init: { method?: string; body?: unknown; origin?: string | null } = {}) {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (init.origin !== null) headers.origin = init.origin ?? web.url;
  return jar.fetch(`${web.url}${path}`, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
}

const ADMIN_PAGES = ["/admin", "/admin/domains", "/admin/domains/own.test", "/admin/users", "/admin/aliases", "/admin/queue", "/admin/deliveries"];

describe("who gets in", () => {
  it("sends signed-out visitors to /login, and answers 401 to signed-out API calls", async () => {
    for (const p of ADMIN_PAGES) expect((await open(null, p)).path, p).toBe("/login");
    const res = await fetch(`${web.url}/api/admin/domains`);
    expect(res.status).toBe(401);
  });

  it("answers 403 to a user on every admin page and route", async () => {
    for (const p of ADMIN_PAGES) {
      const r = await open(jars.joe, p);
      expect(r.status, p).toBe(403);
      expect(r.text).toContain("Administrators only");
    }
    const calls: [string, string, unknown?][] = [
      ["GET", "/api/admin/domains"],
      ["POST", "/api/admin/domains", { name: "evil.test" }],
      ["GET", "/api/admin/domains/own.test"],
      ["GET", "/api/admin/domains/own.test/check"],
      ["POST", "/api/admin/domains/own.test/dkim", { step: "start" }],
      ["PUT", "/api/admin/domains/own.test/mta-sts", { mode: "enforce" }],
      ["DELETE", "/api/admin/domains/other.test"],
      ["GET", "/api/admin/users"],
      ["POST", "/api/admin/users", { email: "x@own.test", password: "correct horse" }],
      ["PATCH", "/api/admin/users/joe@own.test", { role: "ADMIN" }],
      ["DELETE", "/api/admin/users/ann@other.test"],
      ["GET", "/api/admin/aliases"],
      ["POST", "/api/admin/aliases", { address: "@own.test", to: ["joe@own.test"] }],
      ["DELETE", "/api/admin/aliases/x@own.test"],
      ["GET", "/api/admin/queue"],
      ["POST", "/api/admin/queue/1/retry"],
      ["DELETE", "/api/admin/queue/1"],
      ["GET", "/api/admin/deliveries"],
    ];
    for (const [method, path, body] of calls) {
      const res = await api(jars.joe, path, { method, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    }
  });

  it("keeps a domain admin inside their domain", async () => {
    const domains = (await (await api(jars.boss, "/api/admin/domains")).json()) as { domains: { name: string }[] };
    expect(domains.domains.map((d) => d.name)).toEqual(["own.test"]);
    const users = (await (await api(jars.boss, "/api/admin/users")).json()) as { users: { email: string }[] };
    expect(users.users.map((u) => u.email)).toEqual(["boss@own.test", "joe@own.test", "root@own.test"]);
    expect((await api(jars.boss, "/api/admin/domains/other.test")).status).toBe(403);
    expect((await api(jars.boss, "/api/admin/users?domain=other.test")).status).toBe(403);
    expect((await api(jars.boss, "/api/admin/users/ann@other.test", { method: "PATCH", body: { disabled: true } })).status).toBe(403);
    expect((await api(jars.boss, "/api/admin/users/root@own.test", { method: "PATCH", body: { password: "taken over!" } })).status).toBe(403);
    expect((await api(jars.boss, "/api/admin/queue")).status).toBe(403);
    expect((await api(jars.boss, "/api/admin/domains", { method: "POST", body: { name: "mine.test" } })).status).toBe(403);

    for (const p of ["/admin/domains/other.test", "/admin/users?domain=other.test", "/admin/aliases?domain=other.test", "/admin/queue", "/admin/deliveries"]) {
      expect((await open(jars.boss, p)).status, p).toBe(403);
    }
    const page = await open(jars.boss, "/admin/users");
    expect(page.status).toBe(200);
    expect(page.text).toContain("joe@own.test");
    expect(page.text).not.toContain("ann@other.test");
    const list = await open(jars.boss, "/admin/domains");
    expect(list.text).toContain("own.test");
    expect(list.text).not.toContain("other.test");

    const created = await api(jars.boss, "/api/admin/users", { method: "POST", body: { email: "new@own.test", password: "correct horse", quotaBytes: 1048576 } });
    expect(created.status).toBe(201);
    expect((await api(jars.boss, "/api/admin/users/new@own.test", { method: "PATCH", body: { quotaBytes: 2097152, disabled: true } })).status).toBe(204);
    const after = (await (await api(jars.boss, "/api/admin/users")).json()) as { users: { email: string; quotaBytes: number; disabled: boolean }[] };
    expect(after.users.find((u) => u.email === "new@own.test")).toMatchObject({ quotaBytes: 2097152, disabled: true });
    expect((await api(jars.boss, "/api/admin/users/new@own.test", { method: "DELETE" })).status).toBe(204);
  });

  it("refuses state changes from another site", async () => {
    const res = await api(jars.root, "/api/admin/domains", { method: "POST", body: { name: "csrf.test" }, origin: "https://evil.example" });
    expect(res.status).toBe(403);
    const none = await api(jars.root, "/api/admin/domains", { method: "POST", body: { name: "csrf.test" }, origin: null });
    expect(none.status).toBe(403);
  });
});

describe("platform admin API", () => {
  it("adds a domain, shows its records, and checks them through DNS_SERVERS", async () => {
    const add = await api(jars.root, "/api/admin/domains", { method: "POST", body: { name: "New.Test" } });
    expect(add.status).toBe(201);
    expect(((await add.json()) as { name: string }).name).toBe("new.test");
    expect((await api(jars.root, "/api/admin/domains", { method: "POST", body: { name: "new.test" } })).status).toBe(409);
    expect((await api(jars.root, "/api/admin/domains", { method: "POST", body: { name: "not a domain" } })).status).toBe(400);

    const detail = (await (await api(jars.root, "/api/admin/domains/new.test")).json()) as { records: DnsRecord[] };
    expect(detail.records.find((r) => r.type === "MX")).toMatchObject({ name: "new.test.", value: `10 ${HOST}.` });
    expect(detail.records.find((r) => r.name === "_imaps._tcp.new.test.")?.value).toBe(`0 1 993 ${HOST}.`);

    type Check = { results: { name: string; type: string; status: string; found: string[] }[] };
    const before = (await (await api(jars.root, "/api/admin/domains/new.test/check")).json()) as Check;
    expect(new Set(before.results.map((r) => r.status))).toEqual(new Set(["missing"]));
    // As the admin would: the records the web shows (made with its MAIL_HOSTNAME), published.
    dns.loadZone(formatZone(detail.records));
    dns.set("new.test.", { MX: ["5 mx.old-provider.example."] });
    const after = (await (await api(jars.root, "/api/admin/domains/new.test/check")).json()) as Check;
    expect(after.results.filter((r) => r.status !== "ok").map((r) => [r.type, r.name, r.status, r.found])).toEqual([
      ["MX", "new.test.", "wrong", ["5 mx.old-provider.example."]],
    ]);
  });

  it("rotates DKIM, sets MTA-STS and serves the policy at mta-sts.DOMAIN", async () => {
    const start = await api(jars.root, "/api/admin/domains/new.test/dkim", { method: "POST", body: { step: "start" } });
    expect(start.status).toBe(200);
    const { selector } = (await start.json()) as { selector: string };
    expect((await api(jars.root, "/api/admin/domains/new.test/dkim", { method: "POST", body: { step: "activate", selector } })).status).toBe(200);
    const detail = (await (await api(jars.root, "/api/admin/domains/new.test")).json()) as { dkimKeys: { selector: string; state: string }[] };
    expect(detail.dkimKeys.map((k) => k.state)).toEqual(["signing", "active"]);
    expect(detail.dkimKeys[0].selector).toBe(selector);

    expect((await api(jars.root, "/api/admin/domains/new.test/mta-sts", { method: "PUT", body: { mode: "enforce" } })).status).toBe(204);
    const policy = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port: web.port, path: "/.well-known/mta-sts.txt", headers: { host: "mta-sts.new.test" } }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      });
      req.on("error", reject);
    });
    expect(policy.status).toBe(200);
    expect(policy.body).toBe(`version: STSv1\r\nmode: enforce\r\nmx: ${HOST}\r\nmax_age: 604800\r\n`);
    expect((await fetch(`${web.url}/.well-known/mta-sts.txt`)).status).toBe(404);
  });

  it("manages users and aliases", async () => {
    const created = await api(jars.root, "/api/admin/users", { method: "POST", body: { email: "eve@new.test", password: "correct horse", role: "DOMAIN_ADMIN" } });
    expect(created.status).toBe(201);
    expect((await api(jars.root, "/api/admin/users/eve@new.test", { method: "PATCH", body: { grantDomain: "other.test" } })).status).toBe(204);
    const users = (await (await api(jars.root, "/api/admin/users?domain=new.test")).json()) as { users: { email: string; role: string; adminOf: string[] }[] };
    expect(users.users).toEqual([expect.objectContaining({ email: "eve@new.test", role: "DOMAIN_ADMIN", adminOf: ["other.test"] })]);
    expect((await api(jars.root, "/api/admin/users/eve@new.test", { method: "PATCH", body: { quotaBytes: -1 } })).status).toBe(400);
    expect((await api(jars.root, "/api/admin/users/eve@new.test", { method: "PATCH", body: { password: "short" } })).status).toBe(400);

    const alias = await api(jars.root, "/api/admin/aliases", { method: "POST", body: { address: "@new.test", to: ["eve@new.test", "root@own.test"] } });
    expect(alias.status).toBe(201);
    const aliases = (await (await api(jars.root, "/api/admin/aliases?domain=new.test")).json()) as { aliases: { address: string; targets: string[] }[] };
    expect(aliases.aliases).toEqual([{ address: "@new.test", targets: ["eve@new.test", "root@own.test"] }]);
    expect((await api(jars.root, `/api/admin/aliases/${encodeURIComponent("@new.test")}`, { method: "DELETE" })).status).toBe(204);
    expect((await api(jars.root, "/api/admin/users/root@own.test", { method: "PATCH", body: { disabled: true } })).status).toBe(409);
  });

  it("lists the queue and the inbound log", async () => {
    const q = (await (await api(jars.root, "/api/admin/queue")).json()) as { messages: unknown[] };
    expect(q.messages).toEqual([]);
    expect((await api(jars.root, "/api/admin/queue/999/retry", { method: "POST" })).status).toBe(404);
    expect((await api(jars.root, "/api/admin/queue/abc", { method: "DELETE" })).status).toBe(404);
    const d = (await (await api(jars.root, "/api/admin/deliveries?status=rejected")).json()) as { deliveries: unknown[] };
    expect(d.deliveries).toEqual([]);
    for (const p of ["/admin/queue", "/admin/deliveries", "/admin/domains/new.test", "/admin/aliases"]) expect((await open(jars.root, p)).status, p).toBe(200);
    expect((await open(jars.root, "/admin/domains/nowhere.test")).status).toBe(404);
  });
});

describe("client set-up", () => {
  it("serves Thunderbird autoconfig at both paths", async () => {
    for (const p of ["/.well-known/autoconfig/mail/config-v1.1.xml", "/mail/config-v1.1.xml"]) {
      const res = await fetch(`${web.url}${p}?emailaddress=${encodeURIComponent("joe@own.test")}`);
      expect(res.status, p).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/xml/);
      const xml = await res.text();
      expect(xml).toContain('<emailProvider id="own.test">');
      expect(xml).toMatch(/<incomingServer type="imap">\s*<hostname>mail\.pigeon\.test<\/hostname>\s*<port>993<\/port>\s*<socketType>SSL<\/socketType>/);
      expect(xml).toMatch(/<outgoingServer type="smtp">\s*<hostname>mail\.pigeon\.test<\/hostname>\s*<port>587<\/port>\s*<socketType>STARTTLS<\/socketType>/);
    }
    expect((await fetch(`${web.url}/mail/config-v1.1.xml?emailaddress=someone@elsewhere.example`)).status).toBe(404);
    expect((await fetch(`${web.url}/mail/config-v1.1.xml`)).status).toBe(404);
  });

  it("answers Outlook's POX autodiscover", async () => {
    const body = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request><EMailAddress>Joe@own.test</EMailAddress>
  <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request>
</Autodiscover>`;
    const res = await fetch(`${web.url}/autodiscover/autodiscover.xml`, { method: "POST", headers: { "content-type": "text/xml" }, body });
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xml).toMatch(/<Type>IMAP<\/Type>\s*<Server>mail\.pigeon\.test<\/Server>\s*<Port>993<\/Port>/);
    expect(xml).toMatch(/<Type>SMTP<\/Type>\s*<Server>mail\.pigeon\.test<\/Server>\s*<Port>465<\/Port>/);
    expect(xml).toContain("<LoginName>joe@own.test</LoginName>");
    // The capitalised path Microsoft documents answers the same.
    const caps = await fetch(`${web.url}/Autodiscover/Autodiscover.xml`, { method: "POST", headers: { "content-type": "text/xml" }, body });
    expect(await caps.text()).toBe(xml);
    const unknown = await fetch(`${web.url}/autodiscover/autodiscover.xml`, { method: "POST", body: body.replace("Joe@own.test", "x@elsewhere.example") });
    expect(await unknown.text()).toContain("<ErrorCode>600</ErrorCode>");
    const v2 = await fetch(`${web.url}/autodiscover/autodiscover.json?Email=joe@own.test&Protocol=AutodiscoverV1`);
    expect(((await v2.json()) as { Url: string }).Url).toBe(`${web.url}/autodiscover/autodiscover.xml`);
  });

  it("gives a signed-in user an Apple profile, and the set-up page with the standard ports", async () => {
    expect((await fetch(`${web.url}/api/mobileconfig`)).status).toBe(401);
    const res = await jars.joe.fetch(`${web.url}/api/mobileconfig`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-apple-aspen-config");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="joe@own.test.mobileconfig"');
    const plist = await res.text();
    expect(plist).toMatch(/<key>IncomingMailServerHostName<\/key>\s*<string>mail\.pigeon\.test<\/string>\s*<key>IncomingMailServerPortNumber<\/key>\s*<integer>993<\/integer>/);
    expect(plist).toMatch(/<key>EmailAddress<\/key>\s*<string>joe@own\.test<\/string>/);

    const page = await open(jars.joe, "/settings/clients");
    expect(page.status).toBe(200);
    for (const port of ["993", "143", "995", "110", "465", "587"]) expect(page.text).toContain(`>${port}<`);
    expect(page.text).toContain("mail.pigeon.test");
  });
});
