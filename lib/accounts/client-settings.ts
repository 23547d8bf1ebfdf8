import { z } from "zod";
import { getConfig, type Config } from "../config.ts";

// What mail clients are told to connect to: MAIL_HOSTNAME and the ports the world reaches.
//
// IMAP_PORT, SMTPS_PORT and the rest are where the servers listen, which is not always where
// clients connect: behind Docker's port mapping (993:993, or 993:2993) the listening port is
// internal. So clients are shown the standard ports (RFC 8314 §7 and RFC 6186: IMAP 993/143,
// POP3 995/110, submission 465/587), except:
//   - PUBLIC_IMAPS_PORT, PUBLIC_IMAP_PORT, PUBLIC_POP3S_PORT, PUBLIC_POP3_PORT,
//     PUBLIC_SMTPS_PORT, PUBLIC_SUBMISSION_PORT name the public port outright;
//   - when MAIL_HOSTNAME is a loopback name (a laptop, no port mapping), the listening ports are
//     the public ones.
// The same ports go into the SRV records, autoconfig, autodiscover and .mobileconfig profiles.

export type Security = "tls" | "starttls";

export interface ClientEndpoint {
  protocol: "imap" | "pop3" | "smtp";
  hostname: string;
  port: number;
  security: Security;
}

export interface ClientSettings {
  hostname: string;
  imaps: ClientEndpoint;
  imap: ClientEndpoint;
  pop3s: ClientEndpoint;
  pop3: ClientEndpoint;
  /** Submission over implicit TLS (RFC 8314). */
  smtps: ClientEndpoint;
  /** Submission with STARTTLS (RFC 6409). */
  submission: ClientEndpoint;
}

const port = z.coerce.number().int().min(1).max(65535).optional();
const publicPortsSchema = z.object({
  PUBLIC_IMAPS_PORT: port,
  PUBLIC_IMAP_PORT: port,
  PUBLIC_POP3S_PORT: port,
  PUBLIC_POP3_PORT: port,
  PUBLIC_SMTPS_PORT: port,
  PUBLIC_SUBMISSION_PORT: port,
});
type PublicPorts = z.output<typeof publicPortsSchema>;

function parsePublicPorts(env: Record<string, string | undefined>): PublicPorts {
  const blankless = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith("PUBLIC_") && v !== undefined && v.trim() !== ""));
  const r = publicPortsSchema.safeParse(blankless);
  if (!r.success) throw new Error(`Invalid configuration: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return r.data;
}

let cachedPorts: PublicPorts | undefined;

export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost") || h === "127.0.0.1" || h === "::1" || h === "[::1]";
}

export function getClientSettings(config: Config = getConfig(), env: Record<string, string | undefined> = process.env): ClientSettings {
  const pub = env === process.env ? (cachedPorts ??= parsePublicPorts(env)) : parsePublicPorts(env);
  const hostname = config.mailHostname.replace(/\.$/, "");
  const local = isLoopbackHostname(hostname);
  const pick = (explicit: number | undefined, listening: number, standard: number) => explicit ?? (local ? listening : standard);
  const ep = (protocol: ClientEndpoint["protocol"], p: number, security: Security): ClientEndpoint => ({ protocol, hostname, port: p, security });
  return {
    hostname,
    imaps: ep("imap", pick(pub.PUBLIC_IMAPS_PORT, config.imapsPort, 993), "tls"),
    imap: ep("imap", pick(pub.PUBLIC_IMAP_PORT, config.imapPort, 143), "starttls"),
    pop3s: ep("pop3", pick(pub.PUBLIC_POP3S_PORT, config.pop3sPort, 995), "tls"),
    pop3: ep("pop3", pick(pub.PUBLIC_POP3_PORT, config.pop3Port, 110), "starttls"),
    smtps: ep("smtp", pick(pub.PUBLIC_SMTPS_PORT, config.smtpsPort, 465), "tls"),
    submission: ep("smtp", pick(pub.PUBLIC_SUBMISSION_PORT, config.submissionPort, 587), "starttls"),
  };
}
