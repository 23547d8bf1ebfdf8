import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import tls, { type PeerCertificate } from "node:tls";
import { ImapFlow, type ImapFlowOptions } from "imapflow";
import type { Config } from "../config.ts";
import { AppError } from "../errors.ts";
import { getTlsMaterial } from "../tls.ts";

// How the web reaches an IMAP server: any server (host, port, TLS mode, credentials), and Pigeon's
// own one on this machine. Pigeon's connection is TLS like any client's (STARTTLS on IMAP_PORT),
// trusting the certificate Pigeon serves: the public roots plus that certificate itself, checked
// against MAIL_HOSTNAME; when the name does not match (an operator's certificate for another name),
// the exact certificate read from TLS_CERT / DATA_DIR is still accepted, by fingerprint: it is the
// one this process would serve itself, so it proves the peer is Pigeon.

export interface ImapEndpoint {
  host: string;
  port: number;
  /** Implicit TLS; otherwise STARTTLS is required. */
  secure: boolean;
  tls: tls.ConnectionOptions;
}

export interface ImapCredentials {
  user: string;
  /** A bearer token (AUTHENTICATE OAUTHBEARER / XOAUTH2) ... */
  accessToken?: string;
  /** ... or a password. */
  pass?: string;
}

export const CONNECT_TIMEOUT_MS = 5_000;

function fingerprint256(pem: string): string | null {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return null;
  }
}

/** Pigeon's own IMAP server (STARTTLS on IMAP_PORT), as seen from a process on the same machine. */
export async function pigeonImapEndpoint(config: Config): Promise<ImapEndpoint> {
  // The IMAP server makes the self-signed certificate on its first start; the web only reads it
  // (two processes generating at once could leave a key and a certificate that do not match).
  if (!(config.tlsCert && config.tlsKey) && !fs.existsSync(path.join(config.dataDir, "tls", "cert.pem"))) {
    throw new AppError("TEMPORARY", "The mail server cannot be reached right now; try again in a moment.");
  }
  const material = await getTlsMaterial(config);
  const pinned = fingerprint256(material.cert);
  // The IMAP server listens on BIND_ADDRESS; every address of the machine (0.0.0.0, ::) includes loopback.
  const host = ["0.0.0.0", "::", "[::]", ""].includes(config.bindAddress) ? "127.0.0.1" : config.bindAddress;
  return {
    host,
    port: config.imapPort,
    secure: false,
    tls: {
      ca: [...tls.rootCertificates, material.cert],
      servername: config.mailHostname,
      minVersion: "TLSv1.2",
      checkServerIdentity(host: string, cert: PeerCertificate) {
        const err = tls.checkServerIdentity(host, cert);
        if (!err) return undefined;
        if (pinned && cert.raw && fingerprint256(rawToPem(cert.raw)) === pinned) return undefined;
        return err;
      },
    },
  };
}

function rawToPem(raw: Buffer): string {
  const b64 = raw.toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** An unconnected client for `endpoint`. */
export function createImapClient(
  endpoint: ImapEndpoint,
  credentials: ImapCredentials,
  extra: Partial<ImapFlowOptions> = {},
): ImapFlow {
  return new ImapFlow({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    doSTARTTLS: endpoint.secure ? undefined : true,
    tls: endpoint.tls,
    auth: credentials.accessToken ? { user: credentials.user, accessToken: credentials.accessToken } : { user: credentials.user, pass: credentials.pass },
    logger: false,
    clientInfo: { name: "Pigeon webmail" },
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: 10 * 60_000,
    disableAutoIdle: true,
    disableCompression: true,
    qresync: false,
    ...extra,
  });
}
