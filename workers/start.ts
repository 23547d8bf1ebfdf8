import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ensureFirstAdmin } from "../lib/accounts/bootstrap-admin.ts";
import { getConfig } from "../lib/config.ts";
import { setupDatabase } from "../lib/db/setup.ts";
import { getTlsMaterial } from "../lib/tls.ts";
import { startImapServers } from "./imap.ts";
import { startPop3Servers } from "./pop3.ts";
import { startRelay } from "./relay.ts";
import { startSmtpServers } from "./smtp.ts";

// `npm start`: everything of DESIGN.md on one machine. Database (embedded unless DATABASE_URL),
// migrations, first admin, the protocol servers in this process, then the Next.js web as a child
// process once all of them listen. SIGINT/SIGTERM stop everything, embedded Postgres included.

const root = path.resolve(import.meta.dirname, "..");
const dev = process.argv.includes("--dev");
const log = (line: string) => console.log(`[pigeon] ${line}`);

function nextBin(): string {
  return path.join(root, "node_modules", "next", "dist", "bin", "next");
}

function buildIsCurrent(): boolean {
  const id = path.join(root, ".next", "BUILD_ID");
  if (!fs.existsSync(id)) return false;
  const built = fs.statSync(id).mtimeMs;
  // Rebuild when any source the web bundles changed after the last build.
  const dirs = ["app", "components", "lib", "public"];
  const newer = (dir: string): boolean => {
    const full = path.join(root, dir);
    if (!fs.existsSync(full)) return false;
    for (const e of fs.readdirSync(full, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "generated" && newer(p)) return true;
      } else if (fs.statSync(path.join(root, p)).mtimeMs > built) return true;
    }
    return false;
  };
  return !dirs.some(newer) && !["next.config.ts", "package.json"].some((f) => fs.existsSync(path.join(root, f)) && fs.statSync(path.join(root, f)).mtimeMs > built);
}

async function main() {
  const t0 = Date.now();
  const config = getConfig();
  const db = await setupDatabase(config, { log: () => undefined });
  log(`database ready (${config.databaseUrl ? "DATABASE_URL" : `embedded in ${path.join(config.dataDir, "postgres")}`})`);
  await ensureFirstAdmin(config, log);
  await getTlsMaterial(config);

  const servers = [
    await startSmtpServers(config, log),
    await startImapServers(config, log),
    await startPop3Servers(config, log),
    await startRelay(config, log),
  ];

  if (!dev && !buildIsCurrent()) {
    log("building the web app (first start or sources changed)…");
    const r = spawnSync(process.execPath, [nextBin(), "build"], { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
    if (r.status !== 0) throw new Error("next build failed");
  }

  const web = spawn(
    process.execPath,
    [nextBin(), dev ? "dev" : "start", "-p", String(config.webPort), "-H", config.bindAddress],
    {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, DATABASE_URL: db.url, NEXT_TELEMETRY_DISABLED: "1", DATA_DIR: config.dataDir },
    },
  );
  let stopping = false;
  const stop = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    log("stopping…");
    web.kill("SIGTERM");
    await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
    await db.close().catch(() => undefined);
    process.exit(code);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  process.on("exit", () => web.kill("SIGTERM"));

  web.on("exit", (code) => {
    if (!stopping) {
      log(`web exited with code ${code}; stopping`);
      void stop(1);
    }
  });
  log(`servers up in ${Date.now() - t0} ms; web on http://${config.bindAddress}:${config.webPort} (${config.publicUrl})`);
}

main().catch((err) => {
  console.error("[pigeon] failed to start:", err);
  process.exit(1);
});
