import { randomInt } from "node:crypto";
import { getDb } from "../db/client.ts";
import { hashPassword, verifyPassword } from "./password.ts";

// Recovery codes stand in for the authenticator app once each. Ten of them, "xxxxx-xxxxx" from a
// 31-character alphabet without look-alikes (about 49 bits each), stored as argon2id hashes.

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"; // no 0/o, 1/l/i
const LENGTH = 10;

export function generateRecoveryCode(): string {
  let s = "";
  for (let i = 0; i < LENGTH; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}

export function normalizeRecoveryCode(code: string): string | null {
  const s = code.replace(/[\s-]/g, "").toLowerCase();
  if (s.length !== LENGTH || [...s].some((c) => !ALPHABET.includes(c))) return null;
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}

/** Replaces the user's recovery codes with new ones, returned once, in clear. */
export async function regenerateRecoveryCodes(input: { userId: number }): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
  const hashes = await Promise.all(codes.map((c) => hashPassword(c)));
  await getDb().$transaction([
    getDb().recoveryCode.deleteMany({ where: { userId: input.userId } }),
    getDb().recoveryCode.createMany({ data: hashes.map((codeHash) => ({ userId: input.userId, codeHash })) }),
  ]);
  return codes;
}

/** Spends one recovery code; true when it was one of the user's unused codes. */
export async function spendRecoveryCode(input: { userId: number; code: string }): Promise<boolean> {
  const code = normalizeRecoveryCode(input.code);
  if (!code) return false;
  const rows = await getDb().recoveryCode.findMany({
    where: { userId: input.userId, usedAt: null },
    select: { id: true, codeHash: true },
  });
  for (const r of rows) {
    if (await verifyPassword(r.codeHash, code)) {
      // Conditional on used_at IS NULL: of two requests racing with one code, one wins.
      const spent = await getDb().recoveryCode.updateMany({ where: { id: r.id, usedAt: null }, data: { usedAt: new Date() } });
      return spent.count === 1;
    }
  }
  return false;
}

export async function countRecoveryCodes(input: { userId: number }): Promise<number> {
  return getDb().recoveryCode.count({ where: { userId: input.userId, usedAt: null } });
}
