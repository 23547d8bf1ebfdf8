// The browser's side of the mail API: JSON over fetch, with the two failures the UI treats
// specially — the session ended (401: keep the reader's place, then sign in again) and the mail
// server unreachable (503 or no answer: say so, keep what is shown, retry).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  get offline(): boolean {
    return this.status === 0 || this.status === 503 || this.status === 502 || this.status === 504;
  }
}

const RESUME_KEY = "pigeon:resume";

let leaving = false;

/** Remembers where the reader was, then goes to the sign-in page (once, however many requests noticed). */
export function goToSignIn(): void {
  if (leaving) return;
  leaving = true;
  try {
    sessionStorage.setItem(RESUME_KEY, location.pathname + location.search);
  } catch {
    // storage unavailable: the reader starts at the inbox
  }
  // A full load, not a client-side navigation: nothing of the ended session stays in memory.
  // eslint-disable-next-line @next/next/no-location-assign-relative-destination
  location.assign("/login");
}

/** The place saved before a sign-in, once. */
export function takeResumeLocation(): string | null {
  try {
    const v = sessionStorage.getItem(RESUME_KEY);
    sessionStorage.removeItem(RESUME_KEY);
    return v && v.startsWith("/mail") ? v : null;
  } catch {
    return null;
  }
}

export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  let res: Response;
  try {
    res = await fetch(path, {
      ...rest,
      headers: { accept: "application/json", ...(json !== undefined ? { "content-type": "application/json" } : {}), ...rest.headers },
      body: json !== undefined ? JSON.stringify(json) : rest.body,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "OFFLINE", "Pigeon cannot be reached. Check your connection.");
  }
  if (res.status === 401) {
    goToSignIn();
    throw new ApiError(401, "UNAUTHORIZED", "Your session has ended; sign in again.");
  }
  if (res.status === 204) return undefined as T;
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not JSON
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? "INTERNAL", err?.message ?? `Request failed (${res.status}).`);
  }
  return body as T;
}
