import pg from "pg";
import { getDatabaseUrl } from "../db/client.ts";
import { createQueueContext, type QueueContext, type QueueContextOptions } from "./context.ts";
import { groupClaimed, processGroup } from "./process.ts";
import { claimDueRecipients, QUEUE_CHANNEL, renewLeases } from "./store.ts";

// The relay's loop: claim due recipients (FOR UPDATE SKIP LOCKED + lease), deliver each
// message/domain group, record outcomes. Wakes on NOTIFY pigeon_queue, after every finished
// group, and at least every pollMs. Any number of relays can run against one database.

export interface QueueWorkerOptions extends QueueContextOptions {
  ctx?: QueueContext;
  /** Groups delivered at the same time. */
  concurrency?: number;
  pollMs?: number;
  /** LISTEN on pigeon_queue (off in tests that drive runOnce by hand). */
  listen?: boolean;
}

export interface QueueWorker {
  readonly ctx: QueueContext;
  /** Runs the loop in the background until stop(). */
  start(): void;
  /** Stops claiming, waits for the deliveries in flight, closes the LISTEN connection. */
  stop(): Promise<void>;
  /** Claims and processes everything due now, then resolves with the number of recipients handled. */
  runOnce(): Promise<number>;
  /** Looks for work now instead of at the next poll. */
  wake(): void;
}

export function createQueueWorker(opts: QueueWorkerOptions = {}): QueueWorker {
  const ctx = opts.ctx ?? createQueueContext(opts);
  const concurrency = Math.max(1, opts.concurrency ?? 20);
  const pollMs = opts.pollMs ?? 1000;

  const inFlight = new Map<Promise<void>, number[]>();
  let running = false;
  let loopDone: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let woken = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let listener: pg.Client | undefined;
  let listenRetry: NodeJS.Timeout | undefined;

  const wake = () => {
    woken = true;
    wakeUp?.();
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken) {
        woken = false;
        return resolve();
      }
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wakeUp = undefined;
        woken = false;
        resolve();
      }
      wakeUp = done;
    });

  function dispatch(group: Parameters<typeof processGroup>[0]): void {
    const ids = group.map((r) => r.id);
    const task: Promise<void> = processGroup(group, ctx)
      .then(() => undefined)
      .catch((err) => ctx.log(`delivery of message ${group[0].messageId} failed: ${(err as Error).message}`))
      .finally(() => {
        inFlight.delete(task);
        wake();
      });
    inFlight.set(task, ids);
  }

  async function claim(limit: number): Promise<number> {
    const rows = await claimDueRecipients({ now: ctx.now(), limit, leaseMs: ctx.leaseMs });
    for (const group of groupClaimed(rows)) dispatch(group);
    return rows.length;
  }

  async function loop(): Promise<void> {
    // With a backlog, claim in batches (a quarter of the slots at least) rather than one
    // recipient per finished delivery: one claim transaction serves several deliveries.
    const batch = Math.max(1, Math.floor(concurrency / 4));
    let backlog = false;
    while (running) {
      let claimed = 0;
      const free = concurrency - inFlight.size;
      if (free >= (backlog ? batch : 1)) {
        try {
          claimed = await claim(free);
          backlog = claimed >= free;
        } catch (err) {
          ctx.log(`claiming queued mail failed: ${(err as Error).message}`);
        }
      }
      if (!running) break;
      if (claimed === 0 || inFlight.size >= concurrency - (backlog ? batch - 1 : 0)) await sleep(pollMs);
    }
    await Promise.allSettled([...inFlight.keys()]);
  }

  function renew(): void {
    const ids = [...inFlight.values()].flat();
    if (ids.length === 0) return;
    renewLeases(ids, new Date(ctx.now().getTime() + ctx.leaseMs)).catch((err) =>
      ctx.log(`renewing leases failed: ${(err as Error).message}`),
    );
  }

  async function startListening(): Promise<void> {
    if (!running || listener) return;
    const client = new pg.Client({ connectionString: getDatabaseUrl() });
    const retry = () => {
      if (listener === client) listener = undefined;
      client.end().catch(() => undefined);
      if (running && !listenRetry) {
        listenRetry = setTimeout(() => {
          listenRetry = undefined;
          void startListening();
        }, 1000);
      }
    };
    client.on("notification", () => wake());
    client.on("error", retry);
    client.on("end", retry);
    listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${QUEUE_CHANNEL}`);
      wake(); // whatever was enqueued while not listening
    } catch (err) {
      ctx.log(`LISTEN ${QUEUE_CHANNEL} failed (${(err as Error).message}); polling only`);
      retry();
    }
  }

  return {
    ctx,
    wake,
    start() {
      if (running) return;
      running = true;
      heartbeat = setInterval(renew, Math.max(1000, Math.floor(ctx.leaseMs / 3)));
      heartbeat.unref();
      if (opts.listen !== false) void startListening();
      loopDone = loop();
    },
    async stop() {
      running = false;
      wake();
      await loopDone;
      loopDone = undefined;
      clearInterval(heartbeat);
      clearTimeout(listenRetry);
      listenRetry = undefined;
      const l = listener;
      listener = undefined;
      if (l) {
        l.removeAllListeners("end");
        l.removeAllListeners("error");
        l.on("error", () => undefined);
        await l.end().catch(() => undefined);
      }
    },
    async runOnce() {
      let total = 0;
      for (;;) {
        const claimed = await claim(concurrency);
        total += claimed;
        if (inFlight.size === 0) {
          if (claimed === 0) return total;
          continue;
        }
        await Promise.race(inFlight.keys());
      }
    },
  };
}
