// Child process of bench/imap/bench.ts: Pigeon's IMAP server on a fresh database, with the bench
// user's INBOX loaded with BENCH_MESSAGES messages of the corpus (through lib/mail, in batches).
import { getPool } from "../../lib/db/client.ts";
import { appendMessages } from "../../lib/mail/append.ts";
import { getMailboxOrThrow } from "../../lib/mail/mailboxes.ts";
import { benchMessage } from "./corpus.ts";
import { startPigeon } from "./pigeon.ts";

const count = Number(process.env.BENCH_MESSAGES ?? 100_000);
const pigeon = await startPigeon();
const inbox = await getMailboxOrThrow({ userId: pigeon.user.id, name: "INBOX" });
const started = Date.now();
const base = Date.UTC(2025, 0, 1);
for (let i = 0; i < count; i += 250) {
  const messages = [];
  for (let j = i; j < Math.min(count, i + 250); j++) messages.push({ raw: benchMessage(j), internalDate: new Date(base + j * 60_000) });
  await appendMessages({ userId: pigeon.user.id, mailboxId: inbox.id, messages });
  if ((i / 250) % 40 === 0) process.stderr.write(`pigeon: loaded ${i + messages.length}/${count}\n`);
}
// As autovacuum would after a bulk load: planner statistics and the visibility map.
await getPool().query("VACUUM ANALYZE messages");
await getPool().query("VACUUM ANALYZE blobs");
console.log(
  "READY " +
    JSON.stringify({
      port: pigeon.port,
      securePort: pigeon.securePort,
      email: pigeon.user.email,
      password: pigeon.user.password,
      passwordHash: pigeon.user.passwordHash,
      cert: pigeon.tls.cert,
      key: pigeon.tls.key,
      loadSeconds: (Date.now() - started) / 1000,
    }),
);
process.on("SIGTERM", async () => {
  await pigeon.stop();
  process.exit(0);
});
