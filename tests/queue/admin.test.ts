import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../lib/cli/commands.ts";
import { listQueue, removeQueued, retryQueued } from "../../lib/queue/admin.ts";
import { enqueueMessage } from "../../lib/queue/enqueue.ts";
import { rawMessage, seedUsers } from "../helpers/fixtures.ts";
import { createRelayTestEnv, recipientRows, type RelayTestEnv } from "./helpers/env.ts";

// The operator's queue commands (lib/queue/admin.ts, behind `npm run cli -- queue …`).

let env: RelayTestEnv;
let alice: { id: number; email: string };

beforeAll(async () => {
  env = await createRelayTestEnv();
  alice = (await seedUsers(["alice"])).users.alice;
  env.publishMx("remote.test", [{ host: "mx.remote.test", priority: 10 }]);
});

afterAll(async () => {
  await env?.close();
});

async function cli(...argv: string[]) {
  const out: string[] = [];
  await runCommand(argv, { out: (l) => out.push(l), err: (l) => out.push(l) });
  return out;
}

describe("queue administration", () => {
  it("lists, retries and removes queued mail", async () => {
    env.mx.rcpt.set("later@remote.test", (n) => (n === 1 ? { code: 450, text: "4.2.0 busy" } : null));
    const raw = rawMessage({ from: alice.email, to: "later@remote.test" });
    const { messageId } = await enqueueMessage({ sender: alice.email, recipients: ["later@remote.test", "x@remote.test"], raw, source: "web" }, { ctx: env.ctx });
    const worker = env.worker();
    await worker.runOnce();

    const entries = await listQueue({ pending: true });
    expect(entries.map((e) => [e.messageId, e.address, e.status])).toEqual([[messageId, "later@remote.test", "DEFERRED"]]);
    const lines = await cli("queue", "list");
    expect(lines.find((l) => l.includes("later@remote.test"))).toMatch(/\tdeferred\tattempts 1\tnext attempt .*; last error: .*450 4\.2\.0 busy/);
    expect(lines.find((l) => l.includes("x@remote.test"))).toMatch(/\tdelivered\t/);

    // Due now: a relay picks it up without waiting for the schedule.
    expect(await cli("queue", "retry", String(messageId))).toEqual(["retrying 1 recipient(s) now"]);
    env.clock.now = Date.now() + 1; // the CLI uses the real clock
    expect(await worker.runOnce()).toBe(1);
    expect((await recipientRows(messageId)).map((r) => r.status)).toEqual(["DELIVERED", "DELIVERED"]);
    await expect(retryQueued({ id: messageId })).rejects.toMatchObject({ code: "NOT_FOUND" });

    await removeQueued({ id: messageId });
    expect(await recipientRows(messageId)).toEqual([]);
    await expect(cli("queue", "remove", String(messageId))).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(cli("queue", "retry", "abc")).rejects.toMatchObject({ code: "INVALID" });
  });

  it("retries a single recipient by its id", async () => {
    env.mx.rcpt.set("one@remote.test", (n) => (n === 1 ? { code: 450, text: "4.2.0 busy" } : null));
    env.mx.rcpt.set("two@remote.test", (n) => (n === 1 ? { code: 450, text: "4.2.0 busy" } : null));
    const raw = rawMessage({ from: alice.email, to: "one@remote.test" });
    const { messageId, recipients } = await enqueueMessage({ sender: alice.email, recipients: ["one@remote.test", "two@remote.test"], raw, source: "web" }, { ctx: env.ctx });
    await env.worker().runOnce();
    expect(await retryQueued({ id: recipients[1].id, now: env.clock.date() })).toBe(1);
    await env.worker().runOnce();
    expect((await recipientRows(messageId)).map((r) => r.status)).toEqual(["DEFERRED", "DELIVERED"]);
  });
});
