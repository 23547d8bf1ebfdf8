import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getActiveDkimKeys, listDkimKeys } from "../../lib/accounts/dkim.ts";
import { formatZone, getDnsRecords } from "../../lib/accounts/dns-records.ts";
import { addDomain } from "../../lib/accounts/domains.ts";
import { resolveRecipient } from "../../lib/accounts/resolve-recipient.ts";
import { addUser, getUserOrThrow, listUsers } from "../../lib/accounts/users.ts";
import { getAdminScope, type AdminActor } from "../../lib/admin/access.ts";
import { addAliasAsAdmin, listAliasesAsAdmin, removeAliasAsAdmin } from "../../lib/admin/aliases.ts";
import { listDeliveries, recordDelivery } from "../../lib/admin/delivery-log.ts";
import { checkDnsRecords } from "../../lib/admin/dns-check.ts";
import { addDomainAsAdmin, checkDomainDnsAsAdmin, getDomainDetailAsAdmin, listDomainsAsAdmin, rotateDkimAsAdmin } from "../../lib/admin/domains.ts";
import { listQueueAsAdmin } from "../../lib/admin/queue.ts";
import {
  addUserAsAdmin,
  grantDomainAdminAsAdmin,
  listUsersAsAdmin,
  removeUserAsAdmin,
  setUserDisabledAsAdmin,
  setUserPasswordAsAdmin,
  setUserQuotaAsAdmin,
  setUserRoleAsAdmin,
} from "../../lib/admin/users.ts";
import { createSession, validateSession } from "../../lib/auth/sessions.ts";
import { runCommand } from "../../lib/cli/commands.ts";
import { getPool } from "../../lib/db/client.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { rawMessage } from "../helpers/fixtures.ts";
import { startTestDns, type TestDns } from "../helpers/test-dns.ts";

// The administration layer (lib/admin over lib/accounts) against a real Postgres, and its DNS
// check against a real DNS server (dns2 on 127.0.0.1). MAIL_HOSTNAME is localhost in tests.

let db: TestDatabase;
let dns: TestDns;
let admin: AdminActor;
let domainAdmin: AdminActor;
let plainUser: AdminActor;
const HOST = "localhost";

async function cli(...argv: string[]) {
  const out: string[] = [];
  await runCommand(argv, { out: (l) => out.push(l), err: (l) => out.push(l) });
  return out;
}

beforeAll(async () => {
  db = await createTestDatabase();
  dns = await startTestDns();
  for (const d of ["alpha.test", "beta.test", "gamma.test"]) await addDomain({ name: d });
  admin = { userId: (await addUser({ email: "root@alpha.test", password: "correct horse", role: "ADMIN" })).id, role: "ADMIN" };
  domainAdmin = { userId: (await addUser({ email: "boss@beta.test", password: "correct horse", role: "DOMAIN_ADMIN" })).id, role: "DOMAIN_ADMIN" };
  plainUser = { userId: (await addUser({ email: "joe@beta.test", password: "correct horse" })).id, role: "USER" };
  await addUser({ email: "ann@gamma.test", password: "correct horse" });
  // A platform admin whose mailbox lives in the domain admin's domain.
  await addUser({ email: "ops@beta.test", password: "correct horse", role: "ADMIN" });
});

afterAll(async () => {
  await dns?.close();
  await db?.drop();
});

describe("roles", () => {
  it("gives a plain user nothing", async () => {
    await expect(getAdminScope(plainUser)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(listDomainsAsAdmin({ actor: plainUser })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(listUsersAsAdmin({ actor: plainUser })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(listAliasesAsAdmin({ actor: plainUser })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(listQueueAsAdmin({ actor: plainUser })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(addUserAsAdmin({ actor: plainUser, email: "x@beta.test", password: "correct horse" })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("keeps a domain admin to the users and aliases of their own domain", async () => {
    expect((await listDomainsAsAdmin({ actor: domainAdmin })).map((d) => d.name)).toEqual(["beta.test"]);
    expect((await listUsersAsAdmin({ actor: domainAdmin })).map((u) => u.email)).toEqual(["boss@beta.test", "joe@beta.test", "ops@beta.test"]);
    await expect(listUsersAsAdmin({ actor: domainAdmin, domain: "gamma.test" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(getDomainDetailAsAdmin({ actor: domainAdmin, name: "gamma.test" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(addUserAsAdmin({ actor: domainAdmin, email: "eve@gamma.test", password: "correct horse" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(setUserPasswordAsAdmin({ actor: domainAdmin, email: "ann@gamma.test", password: "new password" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    // Another admin's password in their own domain is out of reach: that would be a takeover.
    await expect(setUserPasswordAsAdmin({ actor: domainAdmin, email: "ops@beta.test", password: "new password" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    // Roles, domains, DKIM and the queue are the platform admin's.
    await expect(setUserRoleAsAdmin({ actor: domainAdmin, email: "joe@beta.test", role: "DOMAIN_ADMIN" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(addUserAsAdmin({ actor: domainAdmin, email: "kim@beta.test", password: "correct horse", role: "ADMIN" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(addDomainAsAdmin({ actor: domainAdmin, name: "new.test" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(rotateDkimAsAdmin({ actor: domainAdmin, domain: "beta.test", step: "start" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(listQueueAsAdmin({ actor: domainAdmin })).rejects.toMatchObject({ code: "FORBIDDEN" });

    const kim = await addUserAsAdmin({ actor: domainAdmin, email: "kim@beta.test", password: "correct horse", quotaBytes: 1024 ** 2 });
    expect(kim.role).toBe("USER");
    await setUserQuotaAsAdmin({ actor: domainAdmin, email: "kim@beta.test", quotaBytes: 5 * 1024 ** 2 });
    await setUserPasswordAsAdmin({ actor: domainAdmin, email: "kim@beta.test", password: "another horse" });
    await setUserDisabledAsAdmin({ actor: domainAdmin, email: "kim@beta.test", disabled: true });
    expect((await getUserOrThrow({ email: "kim@beta.test" })).disabled).toBe(true);
    await removeUserAsAdmin({ actor: domainAdmin, email: "kim@beta.test" });

    // Aliases: in their domain, to users of their domain.
    await expect(addAliasAsAdmin({ actor: domainAdmin, address: "sales@gamma.test", to: ["ann@gamma.test"] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(addAliasAsAdmin({ actor: domainAdmin, address: "sales@beta.test", to: ["ann@gamma.test"] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await addAliasAsAdmin({ actor: domainAdmin, address: "sales@beta.test", to: ["joe@beta.test", "boss@beta.test"] });
    await addAliasAsAdmin({ actor: domainAdmin, address: "@beta.test", to: ["joe@beta.test"] });
    await addAliasAsAdmin({ actor: admin, address: "info@gamma.test", to: ["ann@gamma.test"] });
    expect((await listAliasesAsAdmin({ actor: domainAdmin })).map((a) => a.address)).toEqual(["@beta.test", "sales@beta.test"]);
    expect((await resolveRecipient("nobody@beta.test")).kind).toBe("local"); // the catch-all
    await expect(removeAliasAsAdmin({ actor: domainAdmin, address: "info@gamma.test" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await removeAliasAsAdmin({ actor: domainAdmin, address: "@beta.test" });
    expect((await resolveRecipient("nobody@beta.test")).kind).toBe("unknown-user");
  });

  it("lets a platform admin grant a domain admin more domains", async () => {
    await grantDomainAdminAsAdmin({ actor: admin, email: "boss@beta.test", domain: "gamma.test" });
    expect((await getAdminScope(domainAdmin)).domains?.map((d) => d.name)).toEqual(["beta.test", "gamma.test"]);
    expect((await listUsersAsAdmin({ actor: domainAdmin, domain: "gamma.test" })).map((u) => u.email)).toEqual(["ann@gamma.test"]);
    expect(await cli("user", "revoke", "boss@beta.test", "gamma.test")).toEqual(["boss@beta.test no longer administers gamma.test"]);
    await expect(listUsersAsAdmin({ actor: domainAdmin, domain: "gamma.test" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await cli("user", "grant", "boss@beta.test", "gamma.test")).toEqual(["boss@beta.test now administers gamma.test"]);
    // Back to a plain user: the grants go.
    await setUserRoleAsAdmin({ actor: admin, email: "boss@beta.test", role: "USER" });
    await expect(getAdminScope({ ...domainAdmin, role: "USER" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await setUserRoleAsAdmin({ actor: admin, email: "boss@beta.test", role: "DOMAIN_ADMIN" });
    expect((await getAdminScope(domainAdmin)).domains?.map((d) => d.name)).toEqual(["beta.test"]);
  });

  it("never leaves the platform without an administrator, and admins cannot lock themselves out", async () => {
    await expect(setUserDisabledAsAdmin({ actor: admin, email: "root@alpha.test", disabled: true })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(setUserRoleAsAdmin({ actor: admin, email: "root@alpha.test", role: "USER" })).rejects.toMatchObject({ code: "CONFLICT" });
    await setUserRoleAsAdmin({ actor: admin, email: "ops@beta.test", role: "USER" });
    await expect(cli("user", "role", "root@alpha.test", "user")).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(cli("user", "disable", "root@alpha.test")).rejects.toMatchObject({ code: "CONFLICT" });
    await setUserRoleAsAdmin({ actor: admin, email: "ops@beta.test", role: "ADMIN" });
  });
});

describe("users", () => {
  it("disabling ends sessions and stops delivery; usage and quota are shown", async () => {
    const u = await addUserAsAdmin({ actor: admin, email: "dora@alpha.test", password: "correct horse" });
    const s = await createSession({ userId: u.id });
    const sessionId = (await validateSession({ sessionId: s.id }))?.sessionId;
    expect(sessionId).toBe(s.id);
    await deliverMessage({ raw: rawMessage({ to: u.email }), targets: [{ userId: u.id }] });
    const listed = (await listUsers({ domain: "alpha.test" })).find((x) => x.email === u.email)!;
    expect(Number(listed.usedBytes)).toBeGreaterThan(100);

    expect(await cli("user", "quota", u.email, "2G")).toEqual([`quota of ${u.email} set to 2.0 GiB`]);
    expect(Number((await listUsers({ domain: "alpha.test" })).find((x) => x.email === u.email)!.quotaBytes)).toBe(2 * 1024 ** 3);
    await expect(cli("user", "quota", u.email, "lots")).rejects.toMatchObject({ code: "INVALID" });

    expect(await cli("user", "disable", u.email)).toEqual([`disabled user ${u.email}`]);
    expect(await validateSession({ sessionId: s.id })).toBeNull();
    expect((await resolveRecipient(u.email)).kind).toBe("unknown-user");
    expect((await cli("user", "list", "--domain", "alpha.test")).find((l) => l.startsWith(u.email))).toMatch(/\tdisabled$/);
    await cli("user", "enable", u.email);
    expect((await resolveRecipient(u.email)).kind).toBe("local");
    // The session ended for good: enabling does not bring it back.
    expect(await validateSession({ sessionId: s.id })).toBeNull();
  });

  it("makes a domain admin from the CLI", async () => {
    expect(await cli("user", "role", "joe@beta.test", "domain-admin")).toEqual(["joe@beta.test is now domain-admin"]);
    expect((await getUserOrThrow({ email: "joe@beta.test" })).role).toBe("DOMAIN_ADMIN");
    await cli("user", "role", "joe@beta.test", "user");
    await expect(cli("user", "role", "joe@beta.test", "king")).rejects.toMatchObject({ code: "INVALID" });
  });
});

describe("DKIM rotation", () => {
  it("publishes the new key before it signs, and the old one until it is retired", async () => {
    const domain = "rotate.test";
    await addDomainAsAdmin({ actor: admin, name: domain });
    const [first] = await listDkimKeys({ domain });
    expect(first.state).toBe("signing");

    const { selector } = await rotateDkimAsAdmin({ actor: admin, domain, step: "start" });
    expect(selector).not.toBe(first.selector);
    const dkimNames = async () => (await getDnsRecords({ domain })).filter((r) => r.kind === "dkim").map((r) => r.name);
    // Published, not signing.
    expect(await dkimNames()).toEqual([`${selector}._domainkey.${domain}.`, `${first.selector}._domainkey.${domain}.`]);
    expect((await getActiveDkimKeys({ domain }))[0].selector).toBe(first.selector);
    await expect(rotateDkimAsAdmin({ actor: admin, domain, step: "start" })).rejects.toMatchObject({ code: "CONFLICT" });

    await rotateDkimAsAdmin({ actor: admin, domain, step: "activate", selector });
    expect((await getActiveDkimKeys({ domain }))[0].selector).toBe(selector);
    expect((await listDkimKeys({ domain })).map((k) => [k.selector, k.state])).toEqual([
      [selector, "signing"],
      [first.selector, "active"],
    ]);
    expect(await dkimNames()).toHaveLength(2);
    await expect(rotateDkimAsAdmin({ actor: admin, domain, step: "retire", selector })).rejects.toMatchObject({ code: "CONFLICT" });

    expect(await cli("domain", "dkim-retire", domain, first.selector)).toEqual([`retired DKIM key ${first.selector} of ${domain}`]);
    expect(await dkimNames()).toEqual([`${selector}._domainkey.${domain}.`]);
    expect(await getActiveDkimKeys({ domain })).toHaveLength(1);

    // And again from the CLI.
    const started = (await cli("domain", "dkim-rotate", domain))[0];
    const next = /new DKIM key (\S+):/.exec(started)![1];
    expect(next).not.toBe(selector);
    await cli("domain", "dkim-activate", domain, next);
    expect((await cli("domain", "dkim", domain)).map((l) => l.split("\t").slice(0, 2).join(" "))).toEqual([
      `${next} signing`,
      `${selector} active`,
      `${first.selector} retired`,
    ]);
  });
});

describe("DNS records and the DNS check", () => {
  it("lists every record, SRV for each client protocol, and MTA-STS when enabled", async () => {
    const records = await getDnsRecords({ domain: "alpha.test" });
    const byName = (n: string) => records.filter((r) => r.name === n);
    expect(byName("alpha.test.").map((r) => `${r.type} ${r.value}`)).toEqual([`MX 10 ${HOST}.`, `TXT "v=spf1 mx -all"`]);
    expect(records.filter((r) => r.type === "SRV").map((r) => r.name.split(".")[0])).toEqual(["_submissions", "_submission", "_imaps", "_imap", "_pop3s", "_pop3"]);
    expect(records.some((r) => r.kind === "mta-sts")).toBe(false);
    expect(await cli("domain", "mta-sts", "alpha.test", "testing")).toHaveLength(1);
    const sts = (await getDnsRecords({ domain: "alpha.test" })).filter((r) => r.kind === "mta-sts");
    expect(sts.map((r) => `${r.name} ${r.type}`)).toEqual(["_mta-sts.alpha.test. TXT", "mta-sts.alpha.test. CNAME"]);
    expect(sts[0].text).toMatch(/^v=STSv1; id=\d{14}$/);
    await cli("domain", "mta-sts", "alpha.test", "off");
  });

  it("reports ok, missing and wrong against a real DNS server", async () => {
    const domain = "check.test";
    await addDomainAsAdmin({ actor: admin, name: domain });
    const records = await getDnsRecords({ domain });
    dns.clear();

    const missing = await checkDnsRecords(records, { servers: [dns.address] });
    expect(new Set(missing.map((r) => r.status))).toEqual(new Set(["missing"]));

    dns.loadZone(formatZone(records));
    const ok = await checkDnsRecords(records, { servers: [dns.address] });
    expect(ok.filter((r) => r.status !== "ok")).toEqual([]);
    expect(ok).toHaveLength(records.length);

    // Wrong values, each shown with what was found.
    dns.set(`${domain}.`, { MX: ["10 mx.elsewhere.example."] });
    dns.set(`${domain}.`, { TXT: ["v=spf1 include:_spf.elsewhere.example -all"] });
    const dkim = records.find((r) => r.kind === "dkim")!;
    dns.set(dkim.name, { TXT: ["v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAother"] });
    dns.set(`_imaps._tcp.${domain}.`, { SRV: [`0 1 143 ${HOST}.`] });
    dns.set(`autoconfig.${domain}.`, { CNAME: ["somewhere.example."] });
    dns.set(`_dmarc.${domain}.`, { TXT: ["v=DMARC1; p=none"] });
    const after = new Map((await checkDnsRecords(records, { servers: [dns.address] })).map((r) => [`${r.type} ${r.name}`, r]));
    expect(after.get(`MX ${domain}.`)).toMatchObject({ status: "wrong", found: ["10 mx.elsewhere.example."] });
    expect(after.get(`TXT ${domain}.`)).toMatchObject({ status: "wrong", found: ['"v=spf1 include:_spf.elsewhere.example -all"'] });
    expect(after.get(`TXT ${dkim.name}`)).toMatchObject({ status: "wrong", detail: "a different public key" });
    expect(after.get(`SRV _imaps._tcp.${domain}.`)).toMatchObject({ status: "wrong", found: [`0 1 143 ${HOST}.`] });
    expect(after.get(`CNAME autoconfig.${domain}.`)).toMatchObject({ status: "wrong", found: ["somewhere.example."] });
    expect(after.get(`TXT _dmarc.${domain}.`)).toMatchObject({ status: "ok", detail: "p=none only monitors" });
    expect(after.get(`SRV _submission._tcp.${domain}.`)).toMatchObject({ status: "ok" });

    // A DNS server that does not answer is an error, not "missing".
    const dead = await checkDnsRecords(records.slice(0, 1), { servers: ["127.0.0.1:9"] });
    expect(dead[0].status).toBe("error");
  });

  it("checks through DNS_SERVERS from the CLI and for admins in scope only", async () => {
    await expect(checkDomainDnsAsAdmin({ actor: domainAdmin, name: "check.test" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const { getConfig } = await import("../../lib/config.ts");
    const config = getConfig();
    const saved = config.dnsServers;
    (config as { dnsServers: string[] }).dnsServers = [dns.address];
    try {
      const lines = await cli("domain", "check", "check.test");
      expect(lines.find((l) => l.includes(`\tcheck.test.\tMX`))).toMatch(/^WRONG\t.*found: 10 mx\.elsewhere\.example\./);
      expect(lines.find((l) => l.includes("_submission._tcp"))).toMatch(/^OK\t/);
    } finally {
      (config as { dnsServers: string[] }).dnsServers = saved;
    }
  });
});

describe("delivery log", () => {
  it("records deliveries and rejections with their verdicts, newest first", async () => {
    await recordDelivery({
      remoteIp: "192.0.2.7",
      helo: "mx.sender.example",
      mailFrom: "a@sender.example",
      recipients: ["root@alpha.test"],
      status: "ACCEPTED",
      stage: "data",
      spf: "pass",
      dkim: "pass",
      dmarc: "pass",
      messageId: "<1@sender.example>",
      size: 1234,
    });
    await recordDelivery({
      remoteIp: "198.51.100.9",
      mailFrom: "spoof@bank.example",
      recipients: ["root@alpha.test"],
      status: "REJECTED",
      stage: "data",
      reason: "550 5.7.1 Message rejected: DMARC policy of bank.example (p=reject) failed",
      spf: "fail",
      dkim: "none",
      dmarc: "fail",
    });
    const all = await listDeliveries();
    expect(all.map((e) => e.status)).toEqual(["REJECTED", "ACCEPTED"]);
    expect(all[0]).toMatchObject({ remoteIp: "198.51.100.9", spf: "fail", dmarc: "fail", reason: expect.stringContaining("DMARC") });
    expect(all[1]).toMatchObject({ helo: "mx.sender.example", recipients: ["root@alpha.test"], size: 1234, messageId: "<1@sender.example>" });
    expect((await listDeliveries({ status: "REJECTED" })).map((e) => e.remoteIp)).toEqual(["198.51.100.9"]);
    const lines = await cli("deliveries", "--rejected");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\trejected\t198\.51\.100\.9\tspoof@bank\.example -> root@alpha\.test\tspf=fail dkim=none dmarc=fail\t550 5\.7\.1/);

    // A log that cannot be written never fails the delivery.
    await expect(recordDelivery({ status: "BOGUS" as "ACCEPTED" })).resolves.toBeUndefined();
    const n = await getPool().query("SELECT count(*)::int AS n FROM delivery_log");
    expect(n.rows[0].n).toBe(2);
  });
});

describe("outbound queue", () => {
  it("lists messages with per-recipient state, retries now and removes, for platform admins only", async () => {
    const { enqueueMessage } = await import("../../lib/queue/enqueue.ts");
    const later = new Date(Date.now() + 3_600_000);
    const raw = rawMessage({ from: "root@alpha.test", to: "x@remote.example", subject: "Quarterly report" });
    const { messageId } = await enqueueMessage({ sender: "root@alpha.test", recipients: ["x@remote.example", "y@remote.example"], raw, source: "web", sendAt: later });
    await getPool().query("UPDATE outbound_recipients SET status = 'DEFERRED', attempts = 2, last_error = '451 4.7.1 greylisted' WHERE message_id = $1 AND address = 'y@remote.example'", [messageId]);

    const [m] = await listQueueAsAdmin({ actor: admin });
    expect(m).toMatchObject({ id: messageId, sender: "root@alpha.test", subject: "Quarterly report", pending: true });
    expect(m.recipients.map((r) => [r.address, r.status, r.attempts, r.lastError])).toEqual([
      ["x@remote.example", "QUEUED", 0, null],
      ["y@remote.example", "DEFERRED", 2, "451 4.7.1 greylisted"],
    ]);
    await expect(listQueueAsAdmin({ actor: domainAdmin })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const { retryQueuedAsAdmin, removeQueuedAsAdmin } = await import("../../lib/admin/queue.ts");
    await expect(retryQueuedAsAdmin({ actor: domainAdmin, id: messageId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await retryQueuedAsAdmin({ actor: admin, id: messageId })).toBe(2);
    const due = await getPool().query<{ n: number }>("SELECT count(*)::int AS n FROM outbound_recipients WHERE message_id = $1 AND next_attempt_at <= now()", [messageId]);
    expect(due.rows[0].n).toBe(2);
    await removeQueuedAsAdmin({ actor: admin, id: messageId });
    expect(await listQueueAsAdmin({ actor: admin })).toEqual([]);
  });
});
