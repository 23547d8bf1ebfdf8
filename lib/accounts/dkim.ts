import { generateKeyPairSync } from "node:crypto";
import type pg from "pg";
import { getPool } from "../db/client.ts";

// One DKIM key pair per domain (RSA 2048), generated when the domain is added. The selector
// carries the creation month so a rotated key gets a new name next to the old one.

export function newDkimSelector(now = new Date()): string {
  return `pigeon${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, "0")}`;
}

export function generateDkimKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { privateKey, publicKey };
}

export async function createDkimKey(tx: pg.PoolClient | pg.Pool, domainId: number): Promise<{ selector: string }> {
  const selector = newDkimSelector();
  const { privateKey, publicKey } = generateDkimKeyPair();
  await tx.query(
    `INSERT INTO dkim_keys (domain_id, selector, private_key, public_key) VALUES ($1, $2, $3, $4)
     ON CONFLICT (domain_id, selector) DO NOTHING`,
    [domainId, selector, privateKey, publicKey],
  );
  return { selector };
}

/** The public key as it goes in the DKIM TXT record's p= tag (base64 DER, no PEM armour). */
export function dkimRecordValue(publicKeyPem: string): string {
  const b64 = publicKeyPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return `v=DKIM1; k=rsa; p=${b64}`;
}

export async function getActiveDkimKeys(input: { domain: string }) {
  const r = await getPool().query<{ selector: string; public_key: string; private_key: string; created_at: Date }>(
    `SELECT k.selector, k.public_key, k.private_key, k.created_at FROM dkim_keys k JOIN domains d ON d.id = k.domain_id
     WHERE d.name = $1 AND k.active AND k.retired_at IS NULL ORDER BY k.created_at DESC`,
    [input.domain],
  );
  return r.rows.map((k) => ({ selector: k.selector, publicKey: k.public_key, privateKey: k.private_key, createdAt: k.created_at }));
}
