import { addAlias, listAliases, removeAlias } from "../accounts/aliases.ts";
import { formatZone, getDnsRecords } from "../accounts/dns-records.ts";
import { addDomain, listDomains, removeDomain } from "../accounts/domains.ts";
import { addUser, listUsers, removeUser, setUserPassword } from "../accounts/users.ts";
import { getPool } from "../db/client.ts";
import { AppError } from "../errors.ts";

// `npm run cli -- …`: the operator's commands, each one call into lib (the admin UI uses the same).

export const USAGE = `usage: npm run cli -- <command>

  domain add NAME                    add a hosted domain (creates its DKIM key)
  domain list                        list hosted domains
  domain remove NAME                 remove a domain without users
  domain records NAME                DNS records to publish, in zone-file syntax
  user add EMAIL --password P [--admin] [--quota BYTES]
  user list [--domain NAME]
  user passwd EMAIL --password P     set a new password (ends the user's web sessions)
  user remove EMAIL
  alias add ADDRESS --to EMAIL[,EMAIL]   (ADDRESS @domain is the domain's catch-all)
  alias list
  alias remove ADDRESS
  queue list                         outbound queue, one line per recipient
  queue retry ID                     retry a message (or recipient id) now
  queue remove ID                    drop a queued message
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
      const r = await getPool().query(
        `SELECT m.id, m.sender, r.id AS rid, r.address, r.status, r.attempts, r.last_error, r.remote_reply, r.next_attempt_at
         FROM outbound_messages m JOIN outbound_recipients r ON r.message_id = m.id ORDER BY m.id, r.id`,
      );
      if (r.rowCount === 0) io.out("queue is empty");
      for (const row of r.rows) {
        const detail =
          row.status === "DEFERRED"
            ? `next attempt ${new Date(row.next_attempt_at).toISOString()}; last error: ${row.last_error ?? ""}`
            : row.status === "DELIVERED"
              ? (row.remote_reply ?? "")
              : (row.last_error ?? "");
        io.out(`${row.id}\t${row.rid}\t${row.sender || "<>"} -> ${row.address}\t${row.status.toLowerCase()}\tattempts ${row.attempts}\t${detail}`);
      }
      return;
    }
    case "queue retry": {
      const id = Number(need(arg, "queue id"));
      const r = await getPool().query(
        `UPDATE outbound_recipients SET next_attempt_at = now(), status = 'QUEUED'
         WHERE (message_id = $1 OR id = $1) AND status IN ('QUEUED', 'DEFERRED')`,
        [id],
      );
      if (r.rowCount === 0) throw new AppError("NOT_FOUND", `nothing to retry for ${arg}`);
      io.out(`retrying ${r.rowCount} recipient(s) now`);
      return;
    }
    case "queue remove": {
      const r = await getPool().query("DELETE FROM outbound_messages WHERE id = $1", [Number(need(arg, "queue id"))]);
      if (r.rowCount === 0) throw new AppError("NOT_FOUND", `no queued message ${arg}`);
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
