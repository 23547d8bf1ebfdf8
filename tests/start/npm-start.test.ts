import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// `npm start` as an operator runs it: no DATABASE_URL (embedded Postgres in a fresh DATA_DIR),
// healthy over HTTP, every port listening, the CLI working against the running instance, and a
// clean stop on SIGTERM with the embedded database gone.

const root = path.resolve(import.meta.dirname, "../..");
const run = promisify(execFile);

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve) => {
      const s = net.createServer();
      s.listen(0, "127.0.0.1", () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

let child: ChildProcess;
let env: NodeJS.ProcessEnv;
let dataDir: string;
let output = "";
let ports: Record<string, number>;
let healthyAfterMs = 0;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-start-"));
  fs.chmodSync(dataDir, 0o777);
  const p = await freePorts(8);
  ports = { WEB_PORT: p[0], SMTP_PORT: p[1], SUBMISSION_PORT: p[2], SMTPS_PORT: p[3], IMAP_PORT: p[4], IMAPS_PORT: p[5], POP3_PORT: p[6], POP3S_PORT: p[7] };
  env = { ...process.env, DATA_DIR: dataDir, MAIL_HOSTNAME: "mail.start.test", ADMIN_EMAIL: "", ADMIN_PASSWORD: "" };
  delete env.DATABASE_URL;
  for (const [k, v] of Object.entries(ports)) env[k] = String(v);
  const t0 = Date.now();
  child = spawn(process.execPath, [path.join(root, "node_modules/tsx/dist/cli.mjs"), "workers/start.ts"], { cwd: root, env, detached: true });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    const ok = await fetch(`http://127.0.0.1:${ports.WEB_PORT}/api/health`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() - t0 > 170_000) throw new Error(`not healthy in time:\n${output}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  healthyAfterMs = Date.now() - t0;
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  run(process.execPath, [path.join(root, "node_modules/tsx/dist/cli.mjs"), "lib/cli/main.ts", ...args], { cwd: root, env });

describe("npm start with no DATABASE_URL", () => {
  it("answers /api/health with JSON and listens on every port", async () => {
    console.log(`healthy after ${healthyAfterMs} ms`);
    const res = await fetch(`http://127.0.0.1:${ports.WEB_PORT}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", database: "up" });
    for (const port of Object.values(ports)) expect(await canConnect(port)).toBe(true);
    expect(fs.existsSync(path.join(dataDir, "postgres", "PG_VERSION"))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, "tls", "cert.pem"))).toBe(true);
  });

  it("prints a generated admin login once", () => {
    expect(output).toMatch(/email:\s+admin@mail\.start\.test/);
    expect(output).toMatch(/password:\s+\S{12,}/);
  });

  it("lets the CLI manage domains, users and aliases against the running instance", async () => {
    expect((await cli("domain", "add", "example.test")).stdout).toMatch(/added domain example\.test/);
    expect((await cli("user", "add", "alice@example.test", "--password", "correct horse")).stdout).toMatch(/added user alice@example\.test/);
    expect((await cli("user", "list")).stdout).toMatch(/alice@example\.test/);
    expect((await cli("alias", "add", "team@example.test", "--to", "alice@example.test")).stdout).toMatch(/team@example\.test -> alice@example\.test/);
    expect((await cli("domain", "records", "example.test")).stdout).toMatch(/_domainkey\.example\.test\.\s+3600\s+IN\s+TXT\s+"v=DKIM1; k=rsa; p=/);
    const bad = await cli("user", "add", "bob@unknown.test", "--password", "correct horse").catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not hosted/);
  });

  it("stops everything on SIGTERM, embedded Postgres included", async () => {
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    process.kill(child.pid!, "SIGTERM");
    expect(await exited).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    for (const port of [ports.WEB_PORT, ports.SMTP_PORT, ports.IMAP_PORT]) expect(await canConnect(port)).toBe(false);
    expect(fs.existsSync(path.join(dataDir, "postgres", "postmaster.pid"))).toBe(false);
  });
});
