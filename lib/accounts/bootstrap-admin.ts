import { randomBytes } from "node:crypto";
import type { Config } from "../config.ts";
import { getPool } from "../db/client.ts";
import { isValidDomain } from "./addresses.ts";
import { addDomain } from "./domains.ts";
import { addUser } from "./users.ts";

// The first administrator: ADMIN_EMAIL/ADMIN_PASSWORD when set, otherwise a generated login that
// is printed once. Nothing happens when an administrator already exists.

export async function ensureFirstAdmin(config: Config, log: (line: string) => void): Promise<void> {
  const existing = await getPool().query("SELECT 1 FROM users WHERE role = 'ADMIN' LIMIT 1");
  if (existing.rowCount) return;
  const host = config.mailHostname.toLowerCase().replace(/\.$/, "");
  const email = config.adminEmail ?? `admin@${isValidDomain(host) ? host : "localhost.localdomain"}`;
  const password = config.adminPassword ?? randomBytes(12).toString("base64url");
  const domain = email.slice(email.lastIndexOf("@") + 1);
  const hosted = await getPool().query("SELECT 1 FROM domains WHERE name = $1", [domain]);
  if (hosted.rowCount === 0) await addDomain({ name: domain });
  const already = await getPool().query("SELECT id FROM users WHERE email = $1", [email]);
  if (already.rowCount) {
    await getPool().query("UPDATE users SET role = 'ADMIN' WHERE email = $1", [email]);
    log(`made ${email} an administrator`);
    return;
  }
  await addUser({ email, password, role: "ADMIN" });
  if (config.adminPassword) {
    log(`created administrator ${email}`);
  } else {
    log("created the first administrator; this password is shown only once:");
    log(`  email:    ${email}`);
    log(`  password: ${password}`);
  }
}
