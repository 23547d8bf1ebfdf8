import fs from "node:fs";
import path from "node:path";
import { generate } from "selfsigned";
import type { Config } from "./config.ts";

// The certificate every protocol serves: TLS_CERT/TLS_KEY when set, else a self-signed one for
// MAIL_HOSTNAME generated once into DATA_DIR (and reused on every later start).

export interface TlsMaterial {
  cert: string;
  key: string;
  /** True when Pigeon generated the certificate itself. */
  selfSigned: boolean;
}

let cached: Promise<TlsMaterial> | undefined;

async function load(config: Config): Promise<TlsMaterial> {
  if (config.tlsCert && config.tlsKey) {
    return { cert: fs.readFileSync(config.tlsCert, "utf8"), key: fs.readFileSync(config.tlsKey, "utf8"), selfSigned: false };
  }
  const dir = path.join(config.dataDir, "tls");
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    return { cert: fs.readFileSync(certFile, "utf8"), key: fs.readFileSync(keyFile, "utf8"), selfSigned: true };
  }
  const now = new Date();
  const pems = await generate([{ name: "commonName", value: config.mailHostname }], {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate: new Date(now.getTime() - 24 * 3600 * 1000),
    notAfterDate: new Date(now.getTime() + 5 * 365 * 24 * 3600 * 1000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: config.mailHostname },
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  } as Parameters<typeof generate>[1]);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Write the key first and atomically, so a concurrent start never reads half a pair.
  const tmpKey = `${keyFile}.${process.pid}`;
  const tmpCert = `${certFile}.${process.pid}`;
  fs.writeFileSync(tmpKey, pems.private, { mode: 0o600 });
  fs.writeFileSync(tmpCert, pems.cert, { mode: 0o644 });
  fs.renameSync(tmpKey, keyFile);
  fs.renameSync(tmpCert, certFile);
  return { cert: pems.cert, key: pems.private, selfSigned: true };
}

export function getTlsMaterial(config: Config): Promise<TlsMaterial> {
  cached ??= load(config).catch((err) => {
    cached = undefined;
    throw err;
  });
  return cached;
}
