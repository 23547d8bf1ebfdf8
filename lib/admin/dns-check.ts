import { Resolver } from "node:dns/promises";
import type { DnsRecord } from "../accounts/dns-records.ts";
import { getConfig } from "../config.ts";

// "Check DNS": looks up each record a domain should publish (through DNS_SERVERS when set) and
// says whether it is there (ok), absent (missing) or different (wrong, with what was found).
// Comparisons are by meaning, not text: any MX list that includes MAIL_HOSTNAME, an SPF record
// that allows the MX hosts, a DKIM record with the same public key, and so on.

export type DnsCheckStatus = "ok" | "missing" | "wrong" | "error";

export interface DnsCheckResult {
  name: string;
  type: DnsRecord["type"];
  kind: DnsRecord["kind"];
  expected: string;
  status: DnsCheckStatus;
  /** What the lookup returned, in zone-file syntax. */
  found: string[];
  detail?: string;
}

type Lookup = Omit<DnsCheckResult, "name" | "type" | "kind" | "expected">;

const bare = (name: string) => name.toLowerCase().replace(/\.$/, "");
const NO_RECORD = new Set(["ENODATA", "ENOTFOUND", "NXDOMAIN"]);

function tags(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of text.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) m.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return m;
}

export function createDnsResolver(servers: readonly string[] = getConfig().dnsServers, opts: { timeoutMs?: number; tries?: number } = {}) {
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? 2500, tries: opts.tries ?? 2 });
  if (servers.length) resolver.setServers([...servers]);
  return resolver;
}

async function lookup<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; missing: boolean; code: string }> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    const code = (err as { code?: string }).code ?? "ERROR";
    return { ok: false, missing: NO_RECORD.has(code), code };
  }
}

const failed = (r: { missing: boolean; code: string }): Lookup =>
  r.missing ? { status: "missing", found: [] } : { status: "error", found: [], detail: `lookup failed (${r.code})` };

async function checkTxt(resolver: Resolver, record: DnsRecord, host: string): Promise<Lookup> {
  const r = await lookup(() => resolver.resolveTxt(record.name));
  if (!r.ok) return failed(r);
  const texts = r.value.map((chunks) => chunks.join(""));
  const quoted = texts.map((t) => `"${t}"`);
  const expected = record.text ?? "";
  const norm = (t: string) => t.replace(/\s+/g, " ").trim().toLowerCase();
  switch (record.kind) {
    case "spf": {
      const spf = texts.filter((t) => /^v=spf1(\s|$)/i.test(t));
      if (spf.length === 0) return { status: "missing", found: quoted };
      // RFC 7208 §4.5: more than one SPF record is a permanent error.
      if (spf.length > 1) return { status: "wrong", found: spf.map((t) => `"${t}"`), detail: "more than one SPF record" };
      const terms = spf[0].toLowerCase().split(/\s+/);
      const allowsMx = norm(spf[0]) === norm(expected) || terms.some((t) => t === "mx" || t === "+mx" || t === `a:${host}` || t === `+a:${host}`);
      return allowsMx
        ? { status: "ok", found: [`"${spf[0]}"`] }
        : { status: "wrong", found: [`"${spf[0]}"`], detail: `does not allow the domain's MX (${host})` };
    }
    case "dkim": {
      const want = (tags(expected).get("p") ?? "").replace(/\s+/g, "");
      const keys = texts.filter((t) => tags(t).has("p"));
      if (keys.length === 0) return { status: texts.length ? "wrong" : "missing", found: quoted };
      const match = keys.find((t) => (tags(t).get("p") ?? "").replace(/\s+/g, "") === want);
      return match ? { status: "ok", found: [`"${match}"`] } : { status: "wrong", found: quoted, detail: "a different public key" };
    }
    case "dmarc": {
      const dmarc = texts.filter((t) => /^v=DMARC1\s*(;|$)/i.test(t));
      if (dmarc.length === 0) return { status: texts.length ? "wrong" : "missing", found: quoted };
      if (dmarc.length > 1) return { status: "wrong", found: quoted, detail: "more than one DMARC record" };
      const p = tags(dmarc[0]).get("p")?.toLowerCase();
      return p && ["none", "quarantine", "reject"].includes(p)
        ? { status: "ok", found: [`"${dmarc[0]}"`], ...(p === "none" ? { detail: "p=none only monitors" } : {}) }
        : { status: "wrong", found: [`"${dmarc[0]}"`], detail: "no valid p= policy" };
    }
    case "mta-sts": {
      const sts = texts.filter((t) => /^v=STSv1\s*(;|$)/i.test(t));
      if (sts.length === 0) return { status: texts.length ? "wrong" : "missing", found: quoted };
      const id = tags(sts[0]).get("id");
      return sts.length === 1 && id === tags(expected).get("id")
        ? { status: "ok", found: [`"${sts[0]}"`] }
        : { status: "wrong", found: quoted, detail: "the policy id differs (publish the current one)" };
    }
    case "tls-rpt": {
      const rpt = texts.filter((t) => /^v=TLSRPTv1\s*(;|$)/i.test(t));
      if (rpt.length === 0) return { status: texts.length ? "wrong" : "missing", found: quoted };
      return tags(rpt[0]).has("rua") ? { status: "ok", found: [`"${rpt[0]}"`] } : { status: "wrong", found: quoted, detail: "no rua=" };
    }
    default:
      return texts.some((t) => norm(t) === norm(expected)) ? { status: "ok", found: quoted } : { status: texts.length ? "wrong" : "missing", found: quoted };
  }
}

async function checkOne(resolver: Resolver, record: DnsRecord, host: string): Promise<Lookup> {
  switch (record.type) {
    case "MX": {
      const r = await lookup(() => resolver.resolveMx(record.name));
      if (!r.ok) return failed(r);
      const found = r.value.sort((a, b) => a.priority - b.priority).map((m) => `${m.priority} ${bare(m.exchange)}.`);
      if (found.length === 0) return { status: "missing", found };
      return r.value.some((m) => bare(m.exchange) === host)
        ? { status: "ok", found }
        : { status: "wrong", found, detail: `no MX points at ${host}` };
    }
    case "SRV": {
      const r = await lookup(() => resolver.resolveSrv(record.name));
      if (!r.ok) return failed(r);
      const found = r.value.map((s) => `${s.priority} ${s.weight} ${s.port} ${bare(s.name) || "."}${bare(s.name) ? "." : ""}`);
      const port = Number(record.value.split(/\s+/)[2]);
      if (found.length === 0) return { status: "missing", found };
      return r.value.some((s) => bare(s.name) === host && s.port === port)
        ? { status: "ok", found }
        : { status: "wrong", found, detail: `expected ${host}, port ${port}` };
    }
    case "CNAME": {
      const r = await lookup(() => resolver.resolveCname(record.name));
      if (r.ok && r.value.length) {
        const found = r.value.map((c) => `${bare(c)}.`);
        return r.value.some((c) => bare(c) === host) ? { status: "ok", found } : { status: "wrong", found, detail: `expected a CNAME to ${host}` };
      }
      if (!r.ok && !r.missing) return failed(r);
      // An A record with MAIL_HOSTNAME's address does the same job as the CNAME.
      const [a, want] = await Promise.all([lookup(() => resolver.resolve4(record.name)), lookup(() => resolver.resolve4(host))]);
      if (!a.ok) return failed(a);
      const found = a.value.map((ip) => `A ${ip}`);
      if (want.ok && want.value.length && a.value.some((ip) => want.value.includes(ip))) return { status: "ok", found };
      return { status: "wrong", found, detail: `expected a CNAME to ${host}` };
    }
    case "TXT":
      return checkTxt(resolver, record, host);
  }
}

/** Looks every record up at once; never throws for DNS trouble (that is an "error" result). */
export async function checkDnsRecords(records: DnsRecord[], opts: { servers?: readonly string[]; hostname?: string } = {}): Promise<DnsCheckResult[]> {
  const resolver = createDnsResolver(opts.servers);
  const host = bare(opts.hostname ?? getConfig().mailHostname);
  return Promise.all(
    records.map(async (record) => ({
      name: record.name,
      type: record.type,
      kind: record.kind,
      expected: record.value,
      ...(await checkOne(resolver, record, host)),
    })),
  );
}
