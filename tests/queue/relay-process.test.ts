import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueMessage } from "../../lib/queue/enqueue.ts";
import { startRelay } from "../../workers/relay.ts";
import { rawMessage, seedUsers } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/wait.ts";
import { createRelayTestEnv, recipientRows, type RelayTestEnv } from "./helpers/env.ts";

// The relay as operators run it: workers/relay.ts in its own process (killed with SIGKILL
// mid-delivery), and startRelay()'s close() letting deliveries in flight finish.

const root = path.resolve(import.meta.dirname, "../..");
let env: RelayTestEnv;
let alice: { id: number; email: string };
const children: ChildProcess[] = [];

beforeAll(async () => {
  env = await createRelayTestEnv();
  alice = (await seedUsers(["alice"])).users.alice;
  env.publishMx("remote.test", [{ host: "mx.remote.test", priority: 10 }]);
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await env?.close();
});

function send(to: string) {
  const raw = rawMessage({ from: alice.email, to, subject: `To ${to}` });
  return enqueueMessage({ userId: alice.id, sender: alice.email, recipients: [to], raw, source: "submission" }, { ctx: env.ctx });
}

function pause(ms: number) {
  return new Promise<null>((r) => setTimeout(() => r(null), ms));
}

describe("relay process", () => {
  it("survives kill -9 mid-delivery: the lease runs out and another relay delivers once", async () => {
    const output: string[] = [];
    const child = spawn(process.execPath, ["--import", "tsx", "workers/relay.ts"], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: env.db.url,
        MAIL_HOSTNAME: "relay.pigeon.test",
        DNS_SERVERS: env.dns.address,
        OUTBOUND_SMTP_PORT: String(env.mx.port),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    child.stdout!.on("data", (d: Buffer) => output.push(d.toString()));
    child.stderr!.on("data", (d: Buffer) => output.push(d.toString()));
    await waitFor("the relay process to start", async () => output.join("").includes("listening on"), 20_000).catch((err) => {
      throw new Error(`${err.message}\n${output.join("")}`);
    });

    // The remote takes its time over RCPT TO; the relay is killed while it waits.
    env.mx.rcpt.set("killed@remote.test", (n) => (n === 1 ? pause(10_000) : null));
    const { messageId } = await send("killed@remote.test");
    await waitFor("the relay to reach RCPT TO", async () => env.mx.rcptAttempts("killed@remote.test") === 1);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));

    const [leased] = await recipientRows(messageId);
    expect(leased.status).toBe("QUEUED");
    expect(leased.attempts).toBe(1);
    expect(leased.locked_until!.getTime()).toBeGreaterThan(Date.now());

    // Until the lease runs out nobody touches it; then the next relay does.
    env.clock.now = Date.now();
    const worker = env.worker();
    expect(await worker.runOnce()).toBe(0);
    env.clock.now = leased.locked_until!.getTime() + 1;
    expect(await worker.runOnce()).toBe(1);
    const [row] = await recipientRows(messageId);
    expect(row.status).toBe("DELIVERED");
    expect(row.attempts).toBe(2);
    expect(env.mx.received.filter((m) => m.to.includes("killed@remote.test"))).toHaveLength(1);
  }, 60_000);

  it("startRelay delivers as mail arrives and close() waits for deliveries in flight", async () => {
    env.clock.now = Date.now(); // startRelay runs on the real clock
    const logs: string[] = [];
    const relay = await startRelay(env.config, (line) => logs.push(line));
    expect(relay).toMatchObject({ name: "relay", ports: [] });

    const { messageId: quick } = await send("quick@remote.test");
    await waitFor("delivery", async () => (await recipientRows(quick))[0].status === "DELIVERED");

    env.mx.rcpt.set("slow-close@remote.test", () => pause(800));
    const { messageId } = await send("slow-close@remote.test");
    await waitFor("the relay to reach RCPT TO", async () => env.mx.rcptAttempts("slow-close@remote.test") === 1);
    await relay.close();
    const [row] = await recipientRows(messageId);
    expect(row.status).toBe("DELIVERED");
    expect(row.locked_until).toBeNull();
    expect(logs.some((l) => l.startsWith("relay: "))).toBe(true);
  });
});
