import path from "node:path";
import { z } from "zod";

// Every setting of DESIGN.md, parsed once. Unset means "serve a laptop".
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

export const configSchema = z
  .object({
    DATABASE_URL: optional,
    DATA_DIR: z.string().default("./data"),
    MAIL_HOSTNAME: z.string().min(1).default("localhost"),
    BIND_ADDRESS: z.string().min(1).default("127.0.0.1"),
    WEB_PORT: port(3000),
    PUBLIC_URL: optional,
    AUTH_SECRET: optional,
    SMTP_PORT: port(2525),
    SUBMISSION_PORT: port(2587),
    SMTPS_PORT: port(2465),
    IMAP_PORT: port(2143),
    IMAPS_PORT: port(2993),
    POP3_PORT: port(2110),
    POP3S_PORT: port(2995),
    TLS_CERT: optional,
    TLS_KEY: optional,
    ADMIN_EMAIL: optional,
    ADMIN_PASSWORD: optional,
    DNS_SERVERS: optional,
    OUTBOUND_SMTP_PORT: port(25),
    MAX_MESSAGE_SIZE: z.coerce.number().int().positive().default(25 * 1024 * 1024),
    QUEUE_LIFETIME_HOURS: z.coerce.number().positive().default(120),
  })
  .transform((c) => ({
    databaseUrl: c.DATABASE_URL,
    dataDir: path.resolve(c.DATA_DIR),
    mailHostname: c.MAIL_HOSTNAME,
    bindAddress: c.BIND_ADDRESS,
    webPort: c.WEB_PORT,
    publicUrl: (c.PUBLIC_URL ?? `http://localhost:${c.WEB_PORT}`).replace(/\/+$/, ""),
    authSecret: c.AUTH_SECRET,
    smtpPort: c.SMTP_PORT,
    submissionPort: c.SUBMISSION_PORT,
    smtpsPort: c.SMTPS_PORT,
    imapPort: c.IMAP_PORT,
    imapsPort: c.IMAPS_PORT,
    pop3Port: c.POP3_PORT,
    pop3sPort: c.POP3S_PORT,
    tlsCert: c.TLS_CERT,
    tlsKey: c.TLS_KEY,
    adminEmail: c.ADMIN_EMAIL?.toLowerCase(),
    adminPassword: c.ADMIN_PASSWORD,
    dnsServers: c.DNS_SERVERS?.split(",").map((s) => s.trim()).filter(Boolean) ?? [],
    outboundSmtpPort: c.OUTBOUND_SMTP_PORT,
    maxMessageSize: c.MAX_MESSAGE_SIZE,
    queueLifetimeHours: c.QUEUE_LIFETIME_HOURS,
  }));

export type Config = z.output<typeof configSchema>;

export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return result.data;
}

let cached: Config | undefined;

/** The process's configuration, parsed from the environment on first use. */
export function getConfig(): Config {
  cached ??= parseConfig();
  return cached;
}
