import { getConfig } from "../config.ts";
import { AppError } from "../errors.ts";

// Facts about the request a route handler or server action is answering.

type HeaderBag = Pick<Headers, "get">;

/**
 * The client's address. Next.js fills X-Forwarded-For from the socket when the request has none;
 * behind a reverse proxy, the proxy appends the address it saw, so the last entry is the one the
 * nearest hop vouches for. (Reached directly, a client could send its own header: run the web
 * behind a proxy that sets it, as the README's HTTPS set-up does.)
 */
export function clientIp(headers: HeaderBag): string {
  const forwarded = headers.get("x-forwarded-for");
  if (forwarded) {
    const hops = forwarded.split(",").map((s) => s.trim()).filter(Boolean);
    if (hops.length) return hops[hops.length - 1].slice(0, 64);
  }
  return (headers.get("x-real-ip") ?? "").trim().slice(0, 64);
}

/** Origins this app is served from: PUBLIC_URL's, and the one the request was addressed to. */
function allowedOrigins(headers: HeaderBag): Set<string> {
  const origins = new Set<string>([new URL(getConfig().publicUrl).origin]);
  const host = headers.get("x-forwarded-host") ?? headers.get("host");
  if (host) {
    const proto = headers.get("x-forwarded-proto") === "https" ? "https" : "http";
    origins.add(`${proto}://${host.split(",")[0].trim()}`.toLowerCase());
  }
  return origins;
}

/**
 * CSRF check for state-changing requests: the browser's Origin (or, lacking it, Referer) must be
 * this app. A request with neither is refused too: every browser sends Origin on POST/DELETE.
 */
export function isSameOrigin(headers: HeaderBag): boolean {
  const allowed = allowedOrigins(headers);
  const origin = headers.get("origin");
  if (origin && origin !== "null") return allowed.has(origin.toLowerCase());
  const referer = headers.get("referer");
  if (referer) {
    try {
      return allowed.has(new URL(referer).origin.toLowerCase());
    } catch {
      return false;
    }
  }
  return false;
}

export function assertSameOrigin(headers: HeaderBag): void {
  if (!isSameOrigin(headers)) throw new AppError("FORBIDDEN", "cross-site request refused");
}
