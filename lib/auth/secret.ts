import { hkdfSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { getConfig } from "../config.ts";

// AUTH_SECRET keys the web's session cookies (Auth.js) and Pigeon's own tokens. Unset, one is
// generated once into DATA_DIR/auth-secret (mode 0600) and reused, so every process sharing the
// data directory agrees on it and a restart keeps everybody signed in.

export const SECRET_FILE = "auth-secret";

/** The configured secret, or the one in `dataDir`, created there (0600) if missing. */
export function loadOrCreateAuthSecret({ configured, dataDir }: { configured?: string; dataDir: string }): string {
  if (configured) return configured;
  const file = path.join(dataDir, SECRET_FILE);
  const existing = readSecret(file);
  if (existing) return existing;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString("base64url");
  try {
    // `wx`: when two processes start together, the first write wins and the other reads it.
    fs.writeFileSync(file, secret + "\n", { flag: "wx", mode: 0o600 });
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const raced = readSecret(file);
    if (!raced) throw new Error(`${file} exists but is empty`);
    return raced;
  }
}

function readSecret(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8").trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

let cached: string | undefined;

/** This process's AUTH_SECRET (see loadOrCreateAuthSecret), read once. */
export function getAuthSecret(): string {
  if (!cached) {
    const config = getConfig();
    cached = loadOrCreateAuthSecret({ configured: config.authSecret, dataDir: config.dataDir });
  }
  return cached;
}

/** A 32-byte key for one purpose, derived from AUTH_SECRET (HKDF-SHA256), so uses never share a key. */
export function deriveKey(purpose: string, secret = getAuthSecret()): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "pigeon", purpose, 32));
}
