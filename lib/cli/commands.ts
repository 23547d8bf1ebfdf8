import { addAlias, listAliases, removeAlias } from "../accounts/aliases.ts";
import { activateDkimKey, listDkimKeys, retireDkimKey, startDkimRotation } from "../accounts/dkim.ts";
import { formatZone, getDnsRecords } from "../accounts/dns-records.ts";
import { addDomain, getDomainOrThrow, listDomains, type MtaStsMode, removeDomain, setMtaStsPolicy } from "../accounts/domains.ts";
import {
  addUser,
  grantDomainAdmin,
  listUsers,
  removeUser,
  revokeDomainAdmin,
  type Role,
  setUserDisabled,
  setUserPassword,
  setUserQuota,
  setUserRole,
} from "../accounts/users.ts";
import { parseByteSize } from "../admin/bytes.ts";
import { listDeliveries } from "../admin/delivery-log.ts";
import { checkDnsRecords } from "../admin/dns-check.ts";
import { AppError } from "../errors.ts";
import { listQueue, removeQueued, retryQueued } from "../queue/admin.ts";

// `npm run cli -- …`: the operator's commands, each one call into lib (the admin UI uses the same).

export const USAGE = `usage: npm run cli -- <command>

  domain add NAME                    add a hosted domain (creates its DKIM key)
  domain list                        list hosted domains
  domain remove NAME                 remove a domain without users
  domain records NAME                DNS records to publish, in zone-file syntax
  domain check NAME                  look the records up (DNS_SERVERS): ok, missing or wrong
  domain dkim NAME                   the domain's DKIM keys and their state
  domain dkim-rotate NAME            new DKIM key, published but not signing yet
  domain dkim-activate NAME SELECTOR sign with the new key (once its record resolves)
  domain dkim-retire NAME SELECTOR   stop publishing an old key
  domain mta-sts NAME off|testing|enforce
  user add EMAIL --password P [--admin] [--quota BYTES]
  user list [--domain NAME]
  user passwd EMAIL --password P     set a new password (ends the user's web sessions)
  user remove EMAIL
  user disable EMAIL | user enable EMAIL
  user quota EMAIL SIZE              e.g. 500M, 10G
  user role EMAIL user|domain-admin|admin
  user grant EMAIL DOMAIN            let a domain admin manage another domain too
  user revoke EMAIL DOMAIN
  alias add ADDRESS --to EMAIL[,EMAIL]   (ADDRESS @domain is the domain's catch-all)
  alias list
  alias remove ADDRESS
  queue list                         outbound queue, one line per recipient
  queue retry ID                     retry a message (or recipient id) now
  queue remove ID                    drop a queued message
  deliveries [--rejected] [--limit N] recent inbound deliveries and rejections
`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

interface Parsed {
  positional: string[];
  flags: Record<string, string | true>;
}

export function parseArgs(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith("--") && a !== "--admin") flags[a.slice(2)] = argv[++i];
      else flags[a.slice(2)] = true;
    } else positional.push(a);
  }
  return { positional, flags };
}

function need(value: string | true | undefined, what: string): string {
  if (typeof value !== "string" || value === "") throw new AppError("INVALID", `missing ${what}`);
  return value;
}

function formatBytes(n: number | bigint): string {
  const v = Number(n);
  if (v >= 1024 ** 3) return `${(v / 1024 ** 3).toFixed(1)} GiB`;
  if (v >= 1024 ** 2) return `${(v / 1024 ** 2).toFixed(1)} MiB`;
  if (v >= 1024) return `${(v / 1024).toFixed(1)} KiB`;
  return `${v} B`;
}

export async function runCommand(argv: string[], io: CliIo): Promise<void> {
  const { positional, flags } = parseArgs(argv);
  const [group, action, arg] = positional;
  const key = `${group ?? ""} ${action ?? ""}`;
  switch (key) {
    case "domain add": {
      const name = need(arg, "domain name");
      const known = (await listDomains()).find((d) => d.name === name.toLowerCase().replace(/\.$/, ""));
      if (known) {
        // Idempotent for scripts: the first admin's domain, for one, exists from the first start.
        io.out(`domain ${known.name} is already hosted`);
        return;
      }
      const d = await addDomain({ name });
      io.out(`added domain ${d.name} (DKIM selector ${d.dkimSelector}); publish its records: npm run cli -- domain records ${d.name}`);
      return;
    }
    case "domain list":
      for (const d of await listDomains()) io.out(`${d.name}\t${d._count.users} users\t${d._count.aliases} aliases`);
      return;
    case "domain remove":
      await removeDomain({ name: need(arg, "domain name") });
      io.out(`removed domain ${arg}`);
      return;
    case "domain records":
      io.out(formatZone(await getDnsRecords({ domain: need(arg, "domain name") })));
      return;
    case "domain check": {
      const results = await checkDnsRecords(await getDnsRecords({ domain: need(arg, "domain name") }));
      for (const r of results) {
        const found = r.found.length ? `\tfound: ${r.found.join(" | ")}` : "";
        io.out(`${r.status.toUpperCase()}\t${r.name}\t${r.type}${r.detail ? `\t${r.detail}` : ""}${found}`);
      }
      return;
    }
    case "domain dkim": {
      const d = await getDomainOrThrow({ name: need(arg, "domain name") });
      for (const k of await listDkimKeys({ domain: d.name })) io.out(`${k.selector}\t${k.state}\tcreated ${k.createdAt.toISOString()}`);
      return;
    }
    case "domain dkim-rotate": {
      const d = await getDomainOrThrow({ name: need(arg, "domain name") });
      const { selector } = await startDkimRotation({ domain: d.name });
      io.out(`new DKIM key ${selector}: publish ${selector}._domainkey.${d.name} (npm run cli -- domain records ${d.name}), then: domain dkim-activate ${d.name} ${selector}`);
      return;
    }
    case "domain dkim-activate":
    case "domain dkim-retire": {
      const d = await getDomainOrThrow({ name: need(arg, "domain name") });
      const selector = need(positional[3], "selector");
      if (action === "dkim-activate") await activateDkimKey({ domain: d.name, selector });
      else await retireDkimKey({ domain: d.name, selector });
      io.out(`${action === "dkim-activate" ? "activated" : "retired"} DKIM key ${selector} of ${d.name}`);
      return;
    }
    case "domain mta-sts": {
      const mode = need(positional[3], "off, testing or enforce");
      if (!["off", "testing", "enforce"].includes(mode)) throw new AppError("INVALID", "MTA-STS mode is off, testing or enforce");
      await setMtaStsPolicy({ domain: need(arg, "domain name"), mode: mode === "off" ? null : (mode as MtaStsMode) });
      io.out(mode === "off" ? `MTA-STS policy of ${arg} removed` : `MTA-STS policy of ${arg}: ${mode}; publish its records (domain records ${arg})`);
      return;
    }
    case "user add": {
      const quota = typeof flags.quota === "string" ? Number(flags.quota) : undefined;
      if (quota !== undefined && (!Number.isSafeInteger(quota) || quota <= 0)) throw new AppError("INVALID", "--quota takes a number of bytes");
      const u = await addUser({
        email: need(arg, "email address"),
        password: need(flags.password, "--password"),
        role: flags.admin ? "ADMIN" : "USER",
        quotaBytes: quota,
      });
      io.out(`added user ${u.email}${u.role === "ADMIN" ? " (admin)" : ""}`);
      return;
    }
    case "user list":
      for (const u of await listUsers({ domain: typeof flags.domain === "string" ? flags.domain : undefined })) {
        io.out(`${u.email}\t${u.role.toLowerCase()}\t${formatBytes(u.usedBytes)} of ${formatBytes(u.quotaBytes)}${u.disabled ? "\tdisabled" : ""}`);
      }
      return;
    case "user passwd":
      await setUserPassword({ email: need(arg, "email address"), password: need(flags.password, "--password") });
      io.out(`password changed for ${arg}`);
      return;
    case "user remove":
      await removeUser({ email: need(arg, "email address") });
      io.out(`removed user ${arg}`);
      return;
    case "user disable":
    case "user enable":
      await setUserDisabled({ email: need(arg, "email address"), disabled: action === "disable" });
      io.out(`${action}d user ${arg}`);
      return;
    case "user quota": {
      const bytes = parseByteSize(need(positional[3], "size (e.g. 10G)"));
      await setUserQuota({ email: need(arg, "email address"), quotaBytes: bytes });
      io.out(`quota of ${arg} set to ${formatBytes(bytes)}`);
      return;
    }
    case "user role": {
      const roles: Record<string, Role> = { user: "USER", "domain-admin": "DOMAIN_ADMIN", admin: "ADMIN" };
      const role = roles[need(positional[3], "role (user, domain-admin or admin)")];
      if (!role) throw new AppError("INVALID", "role is user, domain-admin or admin");
      await setUserRole({ email: need(arg, "email address"), role });
      io.out(`${arg} is now ${positional[3]}`);
      return;
    }
    case "user grant":
      await grantDomainAdmin({ email: need(arg, "email address"), domain: need(positional[3], "domain name") });
      io.out(`${arg} now administers ${positional[3]}`);
      return;
    case "user revoke":
      await revokeDomainAdmin({ email: need(arg, "email address"), domain: need(positional[3], "domain name") });
      io.out(`${arg} no longer administers ${positional[3]}`);
      return;
    case "deliveries ": {
      const limit = typeof flags.limit === "string" ? Number(flags.limit) : 50;
      const entries = await listDeliveries({ status: flags.rejected ? "REJECTED" : undefined, limit });
      if (entries.length === 0) io.out("no deliveries logged");
      for (const e of entries.reverse()) {
        const auth = `spf=${e.spf ?? "-"} dkim=${e.dkim ?? "-"} dmarc=${e.dmarc ?? "-"}`;
        io.out(`${e.createdAt.toISOString()}\t${e.status.toLowerCase()}\t${e.remoteIp}\t${e.mailFrom || "<>"} -> ${e.recipients.join(",")}\t${auth}${e.reason ? `\t${e.reason}` : ""}`);
      }
      return;
    }
    case "alias add": {
      const to = need(flags.to, "--to").split(",").map((s) => s.trim()).filter(Boolean);
      const a = await addAlias({ address: need(arg, "alias address"), to });
      io.out(`added alias ${a.address} -> ${a.targets.join(", ")}`);
      return;
    }
    case "alias list":
      for (const a of await listAliases()) io.out(`${a.address}\t-> ${a.targets.join(", ")}`);
      return;
    case "alias remove":
      await removeAlias({ address: need(arg, "alias address") });
      io.out(`removed alias ${arg}`);
      return;
    case "queue list": {
      const entries = await listQueue();
      if (entries.length === 0) io.out("queue is empty");
      for (const e of entries) {
        const detail =
          e.status === "DEFERRED"
            ? `next attempt ${e.nextAttemptAt.toISOString()}; last error: ${e.lastError ?? ""}`
            : e.status === "DELIVERED"
              ? (e.remoteReply ?? "")
              : (e.lastError ?? "");
        io.out(`${e.messageId}\t${e.recipientId}\t${e.sender || "<>"} -> ${e.address}\t${e.status.toLowerCase()}\tattempts ${e.attempts}\t${detail}`);
      }
      return;
    }
    case "queue retry": {
      const n = await retryQueued({ id: Number(need(arg, "queue id")) });
      io.out(`retrying ${n} recipient(s) now`);
      return;
    }
    case "queue remove": {
      await removeQueued({ id: Number(need(arg, "queue id")) });
      io.out(`removed message ${arg} from the queue`);
      return;
    }
    default:
      throw new UsageError();
  }
}

export class UsageError extends Error {
  constructor() {
    super(USAGE);
  }
}
