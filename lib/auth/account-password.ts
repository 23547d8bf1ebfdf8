import { getDb, withTransaction } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from "./password.ts";
import { openLoginGate } from "./rate-limit.ts";

// Re-checking the account password of a signed-in user (before changing it, or turning off two-
// factor): a stolen session must not become a way to guess the password, so it goes through the
// same limiter as any login.

export async function confirmAccountPassword(input: { userId: number; password: string; ip: string }): Promise<void> {
  const user = await getDb().user.findUnique({ where: { id: input.userId }, select: { email: true, passwordHash: true } });
  if (!user) throw new AppError("NOT_FOUND", "no such user");
  const gate = await openLoginGate({ ip: input.ip, account: user.email });
  if (!gate.allowed) throw new AppError("RATE_LIMITED", gate.message);
  if (!(await verifyPassword(user.passwordHash, input.password))) {
    await gate.finish("failure");
    throw new AppError("INVALID", "your current password is not correct");
  }
  await gate.finish("success");
}

export function checkNewPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new AppError("INVALID", `the new password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new AppError("INVALID", "the new password is too long");
}

/**
 * Changes the password after checking the current one, and ends every other session of the user
 * (in the same transaction): whoever knew the old password is signed out everywhere but here.
 */
export async function changePassword(input: {
  userId: number;
  currentPassword: string;
  newPassword: string;
  keepSessionId: string;
  ip: string;
}): Promise<{ endedSessions: number }> {
  checkNewPassword(input.newPassword);
  await confirmAccountPassword({ userId: input.userId, password: input.currentPassword, ip: input.ip });
  const passwordHash = await hashPassword(input.newPassword);
  return withTransaction(async (tx) => {
    await tx.query("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1", [input.userId, passwordHash]);
    const r = await tx.query(
      "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND id <> $2",
      [input.userId, input.keepSessionId],
    );
    return { endedSessions: r.rowCount ?? 0 };
  });
}
