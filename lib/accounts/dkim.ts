import { generateKeyPairSync } from "node:crypto";
import type pg from "pg";
import { getPool, withTransaction } from "../db/client.ts";
import { AppError } from "../errors.ts";

// One DKIM key pair per domain (RSA 2048), generated when the domain is added. The selector
// carries the creation month so a rotated key gets a new name next to the old one.
//
// Rotation (RFC 6376 §3.6.1: the verifier looks the key up by selector, so two keys can be
// published side by side) goes in three steps, each one an admin's decision:
//   1. startDkimRotation: a new key, published (its record is listed) but not used to sign;
//   2. activateDkimKey, once its record resolves: it signs from now on; the old key stays
//      published so mail signed with it and still in transit verifies;
//   3. retireDkimKey on the old key: no longer listed, the admin removes its record.
// States in dkim_keys: pending = NOT active AND retired_at IS NULL; active = active AND retired_at
// IS NULL (the newest active key signs, see getActiveDkimKeys); retired = retired_at IS NOT NULL.

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

export async function createDkimKey(
  tx: pg.PoolClient | pg.Pool,
  domainId: number,
  opts: { active?: boolean } = {},
): Promise<{ selector: string }> {
  // A second key in the same month gets a letter: pigeon202611, pigeon202611b, pigeon202611c …
  const base = newDkimSelector();
  const taken = await tx.query<{ selector: string }>("SELECT selector FROM dkim_keys WHERE domain_id = $1 AND selector LIKE $2", [
    domainId,
    `${base}%`,
  ]);
  const used = new Set(taken.rows.map((r) => r.selector));
  let selector = base;
  for (let i = 1; used.has(selector); i++) selector = `${base}${String.fromCharCode(97 + i)}`;
  const { privateKey, publicKey } = generateDkimKeyPair();
  await tx.query(
    `INSERT INTO dkim_keys (domain_id, selector, private_key, public_key, active) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (domain_id, selector) DO NOTHING`,
    [domainId, selector, privateKey, publicKey, opts.active ?? true],
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

export type DkimKeyState = "pending" | "active" | "signing" | "retired";

export interface DkimKeyInfo {
  selector: string;
  publicKey: string;
  /** pending: published, not yet signing; signing: the key new mail is signed with; active: an
   * older active key, still published; retired: no longer published. */
  state: DkimKeyState;
  createdAt: Date;
  retiredAt: Date | null;
}

/** Every key of a domain, newest first, with its rotation state. */
export async function listDkimKeys(input: { domain: string }): Promise<DkimKeyInfo[]> {
  const r = await getPool().query<{ selector: string; public_key: string; active: boolean; created_at: Date; retired_at: Date | null }>(
    `SELECT k.selector, k.public_key, k.active, k.created_at, k.retired_at FROM dkim_keys k JOIN domains d ON d.id = k.domain_id
     WHERE d.name = $1 ORDER BY k.created_at DESC, k.id DESC`,
    [input.domain],
  );
  let signing = false;
  return r.rows.map((k) => {
    let state: DkimKeyState;
    if (k.retired_at) state = "retired";
    else if (!k.active) state = "pending";
    else if (!signing) {
      signing = true;
      state = "signing";
    } else state = "active";
    return { selector: k.selector, publicKey: k.public_key, state, createdAt: k.created_at, retiredAt: k.retired_at };
  });
}

/** Keys whose records must be in DNS: pending and active ones (not retired). */
export async function getPublishedDkimKeys(input: { domain: string }) {
  return (await listDkimKeys(input)).filter((k) => k.state !== "retired");
}

async function domainIdOrThrow(tx: pg.PoolClient, domain: string): Promise<number> {
  const d = await tx.query<{ id: number }>("SELECT id FROM domains WHERE name = $1 FOR UPDATE", [domain]);
  if (!d.rowCount) throw new AppError("NOT_FOUND", `no domain ${domain}`);
  return d.rows[0].id;
}

/** Step 1: a new key, published but not signing. One pending key at a time. */
export async function startDkimRotation(input: { domain: string }): Promise<{ selector: string }> {
  return withTransaction(async (tx) => {
    const domainId = await domainIdOrThrow(tx, input.domain);
    const pending = await tx.query<{ selector: string }>(
      "SELECT selector FROM dkim_keys WHERE domain_id = $1 AND NOT active AND retired_at IS NULL",
      [domainId],
    );
    if (pending.rowCount) {
      throw new AppError("CONFLICT", `key ${pending.rows[0].selector} is already waiting to be activated; activate or retire it first`);
    }
    return createDkimKey(tx, domainId, { active: false });
  });
}

/** Step 2: the pending key `selector` signs from now on (the previous key stays published). */
export async function activateDkimKey(input: { domain: string; selector: string }): Promise<void> {
  await withTransaction(async (tx) => {
    const domainId = await domainIdOrThrow(tx, input.domain);
    const r = await tx.query<{ active: boolean; retired_at: Date | null }>(
      "SELECT active, retired_at FROM dkim_keys WHERE domain_id = $1 AND selector = $2",
      [domainId, input.selector],
    );
    if (!r.rowCount) throw new AppError("NOT_FOUND", `no DKIM key ${input.selector} for ${input.domain}`);
    if (r.rows[0].retired_at) throw new AppError("CONFLICT", `key ${input.selector} is retired`);
    if (r.rows[0].active) throw new AppError("CONFLICT", `key ${input.selector} is already active`);
    // The newest active key signs: the activated key must be the newest, which a pending key
    // (made after every active one) is; created_at is bumped to keep that true regardless.
    await tx.query(
      `UPDATE dkim_keys SET active = true,
         created_at = GREATEST(created_at, (SELECT max(created_at) + interval '1 millisecond' FROM dkim_keys WHERE domain_id = $1 AND active))
       WHERE domain_id = $1 AND selector = $2`,
      [domainId, input.selector],
    );
  });
}

/** Step 3: `selector` is no longer published. The signing key cannot be retired. */
export async function retireDkimKey(input: { domain: string; selector: string }): Promise<void> {
  const keys = await listDkimKeys({ domain: input.domain });
  const key = keys.find((k) => k.selector === input.selector);
  if (!key) throw new AppError("NOT_FOUND", `no DKIM key ${input.selector} for ${input.domain}`);
  if (key.state === "retired") throw new AppError("CONFLICT", `key ${input.selector} is already retired`);
  if (key.state === "signing") throw new AppError("CONFLICT", `key ${input.selector} signs the domain's mail; activate a new key first`);
  await getPool().query(
    `UPDATE dkim_keys SET active = false, retired_at = now()
     WHERE selector = $2 AND domain_id = (SELECT id FROM domains WHERE name = $1) AND retired_at IS NULL`,
    [input.domain, input.selector],
  );
}
