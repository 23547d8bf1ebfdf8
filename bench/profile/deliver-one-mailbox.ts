// Deliveries into ONE mailbox from many concurrent callers through lib/mail deliverMessage (no
// SMTP): the store path alone, as the MX drives it when 20 sessions deliver to one user.
//
//   npx tsx bench/profile/deliver-one-mailbox.ts [--messages 2000] [--concurrency 20]
//
// DATABASE_URL: the Postgres server for a scratch database (dropped at the end).
import { addDomain } from "../../lib/accounts/domains.ts";
import { addUser } from "../../lib/accounts/users.ts";
import { connectDatabase, disconnectDatabase } from "../../lib/db/client.ts";
import { migrate } from "../../lib/db/migrate.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { benchMessage } from "../imap/corpus.ts";
import { createScratchDatabase } from "../lib/pigeon.ts";
import { loadAverage, median, numberOption, percentile } from "../lib/util.ts";

const MESSAGES = numberOption("messages", 2000);
const CONCURRENCY = numberOption("concurrency", 20);

const db = await createScratchDatabase("pigeon_deliver1");
try {
  await migrate(db.url);
  connectDatabase(db.url, CONCURRENCY + 5);
  await addDomain({ name: "one.test" });
  const user = await addUser({ email: "hot@one.test", password: "bench password deliver" });
  const raws = Array.from({ length: MESSAGES }, (_, i) => benchMessage(i));
  const latencies: number[] = [];
  let next = 0;
  const load = loadAverage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < MESSAGES) {
        const raw = raws[next++];
        const s = performance.now();
        await deliverMessage({ raw, targets: [{ userId: user.id }] });
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `${MESSAGES} deliveries, ${CONCURRENCY} concurrent, one mailbox: ${(MESSAGES / seconds).toFixed(1)} msg/s; ` +
      `latency p50 ${median(latencies).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms (load ${load})`,
  );
} finally {
  await disconnectDatabase();
  await db.drop();
}
