import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";

// The real Next.js app for route and browser tests: `next start` on 127.0.0.1 at a free port,
// against a test database. It serves the production build in .next, made here (once, under a
// lock) when it is missing or older than the sources; `npm run build` beforehand skips that.
//
// PIGEON_WEB_DIR points at another checkout to build and serve instead (a developer's clean copy
// while neighbours' half-done files break `next build`'s type check). PIGEON_WEB_BUILD=skip uses
// whatever build is there.

const repoRoot = path.resolve(import.meta.dirname, "../..");
export const webDir = path.resolve(process.env.PIGEON_WEB_DIR ?? repoRoot);
const nextBin = path.join(webDir, "node_modules/next/dist/bin/next");

// What the production build is made from: the same test as workers/start.ts makes before it
// serves, so that `npm start` (tests/start) and these tests never disagree about rebuilding.
const SOURCE_DIRS = ["app", "components", "lib", "public"];
const SOURCE_FILES = ["next.config.ts", "package.json"];

function newestSourceMtime(): number {
  let newest = 0;
  const walk = (p: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(p, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(p, e.name);
      if (e.isDirectory()) {
        if (e.name !== "generated") walk(full);
      } else {
        newest = Math.max(newest, fs.statSync(full).mtimeMs);
      }
    }
  };
  for (const d of SOURCE_DIRS) walk(path.join(webDir, d));
  for (const f of SOURCE_FILES) {
    const full = path.join(webDir, f);
    if (fs.existsSync(full)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function buildIsFresh(): boolean {
  const id = path.join(webDir, ".next/BUILD_ID");
  if (!fs.existsSync(id)) return false;
  if (process.env.PIGEON_WEB_BUILD === "skip") return true;
  return fs.statSync(id).mtimeMs >= newestSourceMtime();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Makes sure .next holds a production build of the current sources. */
export async function ensureWebBuild(): Promise<void> {
  if (buildIsFresh()) return;
  const lock = path.join(os.tmpdir(), `pigeon-next-build-${Buffer.from(webDir).toString("hex").slice(-40)}.lock`);
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // Another test file is building: wait for it, then use its build.
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 5 * 60_000) fs.rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      await sleep(500);
      if (buildIsFresh()) return;
    }
  }
  try {
    if (buildIsFresh()) return;
    const r = spawnSync(process.execPath, [nextBin, "build"], {
      cwd: webDir,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
      encoding: "utf8",
      timeout: 5 * 60_000,
    });
    if (r.status !== 0) {
      const log = `${r.stdout ?? ""}\n${r.stderr ?? ""}`.trim().split("\n").slice(-40).join("\n");
      throw new Error(`next build failed (exit ${r.status}):\n${log}`);
    }
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface WebServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Everything the server printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `next start` against `databaseUrl`; resolves once GET /api/health answers 200. */
export async function startWebServer(opts: { databaseUrl: string; env?: Record<string, string> }): Promise<WebServer> {
  await ensureWebBuild();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-web-"));
  let out = "";
  const child: ChildProcess = spawn(process.execPath, [nextBin, "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: webDir,
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: opts.databaseUrl,
      PUBLIC_URL: url,
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      DATA_DIR: dataDir,
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async () => {
    if (process.env.PIGEON_WEB_LOG) console.log(`--- next start output ---\n${out}`);
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`next start did not become healthy within 60 s:\n${out}`);
    }
    await sleep(200);
  }
  return { url, port, output: () => out, stop };
}

/** A minimal cookie jar for fetch: remembers Set-Cookie values, sends them back. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  /** Stores (or, when expired/empty, forgets) the cookies a response sets. */
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => {
        const [k, v] = a.trim().split("=");
        if (k.toLowerCase() === "max-age") return Number(v) <= 0;
        if (k.toLowerCase() === "expires") return new Date(a.trim().slice(8)).getTime() < Date.now();
        return false;
      });
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  /** fetch with this jar's cookies, no redirect following, recording what comes back. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", this.header());
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    this.take(res);
    return res;
  }
}

/**
 * Signs in through Auth.js's own endpoints (CSRF token, then the credentials callback), as a
 * non-JavaScript form would. Returns the redirect target.
 */
export async function signInOverHttp(
  server: WebServer,
  jar: CookieJar,
  creds: { email: string; password: string; code?: string },
  headers: Record<string, string> = {},
): Promise<{ status: number; location: string }> {
  const csrf = await jar.fetch(`${server.url}/api/auth/csrf`, { headers });
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const res = await jar.fetch(`${server.url}/api/auth/callback/credentials`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url, ...headers },
    body: new URLSearchParams({ ...creds, code: creds.code ?? "", csrfToken, callbackUrl: `${server.url}/mail` }),
  });
  return { status: res.status, location: res.headers.get("location") ?? "" };
}

/** Debian's Chromium, headless, driven by playwright-core (no browser download). */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
}

/** Fills in the sign-in form of the page (/login, or where a redirect left it) and submits it. */
export async function submitSignInForm(page: Page, email: string, password = "correct horse"): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Signs in through the /login form in the browser, as a person would, and waits for /mail. */
export async function signInInBrowser(page: Page, email: string, password = "correct horse"): Promise<void> {
  await page.goto("/login");
  await submitSignInForm(page, email, password);
  await page.waitForURL((url) => url.pathname === "/mail");
}
