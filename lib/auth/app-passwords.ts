import { createHash, randomInt, timingSafeEqual } from "node:crypto";
import { getDb } from "../db/client.ts";
import { AppError } from "../errors.ts";

// App passwords: one per mail client (IMAP, POP3, SMTP submission), shown once, revocable one by
// one. Each is 16 random letters (26^16 ≈ 2^75), generated here, never chosen by a person, so a
// plain SHA-256 is as safe to store as argon2 would be, and a client that logs in every few
// minutes does not cost an argon2 run per app password each time.

export const APP_PASSWORD_LETTERS = 16;
export const MAX_APP_PASSWORDS = 50;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz";
const HASH_PREFIX = "sha256:";

/** "abcd efgh ijkl mnop": easy to read out and to type into a client. */
export function generateAppPassword(): string {
  let s = "";
  for (let i = 0; i < APP_PASSWORD_LETTERS; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s.match(/.{4}/g)!.join(" ");
}

/** The letters of an app password as typed (spaces, dashes and case ignored), or null if it cannot be one. */
export function normalizeAppPassword(password: string): string | null {
  const s = password.replace(/[\s-]/g, "").toLowerCase();
  return s.length === APP_PASSWORD_LETTERS && /^[a-z]+$/.test(s) ? s : null;
}

export function hashAppPassword(password: string): string {
  const letters = normalizeAppPassword(password);
  if (!letters) throw new AppError("INVALID", "not an app password");
  return HASH_PREFIX + createHash("sha256").update(letters).digest("hex");
}

function cleanName(name: string): string {
  const n = name.trim().replace(/\s+/g, " ");
  if (!n) throw new AppError("INVALID", "give the app password a name, such as the client or device using it");
  if (n.length > 64) throw new AppError("INVALID", "the name is too long (64 characters at most)");
  return n;
}

/** Creates an app password; the returned `password` is shown to the user once and never again. */
export async function createAppPassword(input: { userId: number; name: string }) {
  const name = cleanName(input.name);
  const db = getDb();
  const active = await db.appPassword.count({ where: { userId: input.userId, revokedAt: null } });
  if (active >= MAX_APP_PASSWORDS) {
    throw new AppError("INVALID", `you already have ${MAX_APP_PASSWORDS} app passwords; revoke some first`);
  }
  const password = generateAppPassword();
  const row = await db.appPassword.create({
    data: { userId: input.userId, name, passwordHash: hashAppPassword(password) },
    select: { id: true, name: true, createdAt: true },
  });
  return { ...row, password };
}

export async function listAppPasswords(input: { userId: number }) {
  return getDb().appPassword.findMany({
    where: { userId: input.userId, revokedAt: null },
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, createdAt: true, lastUsedAt: true },
  });
}

export async function revokeAppPassword(input: { userId: number; id: number }): Promise<void> {
  const r = await getDb().appPassword.updateMany({
    where: { id: input.id, userId: input.userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (r.count === 0) throw new AppError("NOT_FOUND", "no such app password");
}

/** The id of the user's active app password matching `password`, or null. */
export async function matchAppPassword(input: { userId: number; password: string }): Promise<number | null> {
  if (!normalizeAppPassword(input.password)) return null;
  const candidate = Buffer.from(hashAppPassword(input.password));
  const rows = await getDb().appPassword.findMany({
    where: { userId: input.userId, revokedAt: null },
    select: { id: true, passwordHash: true },
  });
  let found: number | null = null;
  for (const r of rows) {
    const stored = Buffer.from(r.passwordHash);
    if (stored.length === candidate.length && timingSafeEqual(stored, candidate)) found = r.id;
  }
  return found;
}

export async function touchAppPassword(input: { id: number }): Promise<void> {
  await getDb().appPassword.update({ where: { id: input.id }, data: { lastUsedAt: new Date() }, select: { id: true } });
}

/** Whether mail clients may log in with the account password (app passwords always work). */
export async function setMailPasswordAllowed(input: { userId: number; allowed: boolean }): Promise<void> {
  await getDb().user.update({ where: { id: input.userId }, data: { mailPasswordAllowed: input.allowed }, select: { id: true } });
}

/** What the App passwords page shows about mail-client logins. */
export async function getMailLoginSettings(input: { userId: number }) {
  const u = await getDb().user.findUnique({
    where: { id: input.userId },
    select: { email: true, mailPasswordAllowed: true, totpEnabled: true },
  });
  if (!u) throw new AppError("NOT_FOUND", "no such user");
  return { email: u.email, mailPasswordAllowed: u.mailPasswordAllowed, accountPasswordWorks: u.mailPasswordAllowed && !u.totpEnabled, totpEnabled: u.totpEnabled };
}
