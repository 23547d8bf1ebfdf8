// One error type for everything a user or client can get wrong; each transport maps `code`
// to its own reply (HTTP status, IMAP NO [CODE], SMTP reply, POP3 -ERR).
export type AppErrorCode =
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "INVALID"
  | "FORBIDDEN"
  | "UNAUTHORIZED"
  | "OVER_QUOTA"
  | "RATE_LIMITED"
  | "CONFLICT"
  | "TEMPORARY";

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export function isAppError(err: unknown, code?: AppErrorCode): err is AppError {
  return err instanceof AppError && (code === undefined || err.code === code);
}
