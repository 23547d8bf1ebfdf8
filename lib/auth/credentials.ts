import { getDb } from "../db/client.ts";
import { hashPassword, verifyPassword } from "./password.ts";

// What every login path needs from the users table, and a constant-time answer for unknown
// accounts (an argon2 run either way, so response times do not reveal which addresses exist).

export interface LoginUser {
  id: number;
  email: string;
  passwordHash: string;
  disabled: boolean;
  mailPasswordAllowed: boolean;
  totpEnabled: boolean;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function findLoginUser(email: string): Promise<LoginUser | null> {
  const address = normalizeEmail(email);
  if (!address || address.length > 320) return null;
  return getDb().user.findUnique({
    where: { email: address },
    select: { id: true, email: true, passwordHash: true, disabled: true, mailPasswordAllowed: true, totpEnabled: true },
  });
}

let dummyHash: Promise<string> | undefined;

/** Spends the time of one password check, for an account that does not exist. */
export async function verifyNothing(password: string): Promise<false> {
  dummyHash ??= hashPassword("pigeon: no such account");
  await verifyPassword(await dummyHash, password);
  return false;
}
