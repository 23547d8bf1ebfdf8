import { getActiveDkimKeys, dkimRecordValue } from "../../../lib/accounts/dkim.ts";
import { parseConfig, type Config } from "../../../lib/config.ts";
import { getPool } from "../../../lib/db/client.ts";
import { createQueueContext, type QueueContext } from "../../../lib/queue/context.ts";
import { createQueueWorker, type QueueWorker, type QueueWorkerOptions } from "../../../lib/queue/worker.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { startTestDns, type TestDns } from "../../helpers/test-dns.ts";
import { startFakeMx, type FakeMx } from "./fake-mx.ts";

// Everything a relay test needs: a database, an authoritative DNS server and a remote MX on
// 127.0.0.1, a configuration pointing at them (DNS_SERVERS, OUTBOUND_SMTP_PORT), a clock the
// test moves, and queue contexts/workers built on all of that.

export interface RelayTestEnv {
  db: TestDatabase;
  dns: TestDns;
  mx: FakeMx;
  config: Config;
  clock: { now: number; advance(ms: number): void; date(): Date };
  logs: string[];
  ctx: QueueContext;
  worker(opts?: QueueWorkerOptions): QueueWorker;
  /** Publishes `domain`'s MX records, every exchange at 127.0.0.1 unless given. */
  publishMx(domain: string, mx: { host: string; priority: number; address?: string }[]): void;
  /** Publishes the active DKIM key of a hosted domain. */
  publishDkim(domain: string): Promise<void>;
  close(): Promise<void>;
}

export async function createRelayTestEnv(): Promise<RelayTestEnv> {
  const db = await createTestDatabase();
  const dns = await startTestDns();
  const mx = await startFakeMx();
  const config = parseConfig({
    DATABASE_URL: db.url,
    MAIL_HOSTNAME: "relay.pigeon.test",
    DNS_SERVERS: dns.address,
    OUTBOUND_SMTP_PORT: String(mx.port),
  });
  const clock = {
    now: Date.now(),
    advance(ms: number) {
      this.now += ms;
    },
    date() {
      return new Date(this.now);
    },
  };
  const logs: string[] = [];
  const contextOptions = {
    config,
    now: () => clock.date(),
    log: (line: string) => logs.push(line),
    smtpTimeouts: { connectMs: 3000, greetingMs: 5000, socketMs: 10_000 },
    dkimCacheMs: 0,
    dnsCacheMs: 0,
  };
  const ctx = createQueueContext(contextOptions);
  const workers: QueueWorker[] = [];
  return {
    db,
    dns,
    mx,
    config,
    clock,
    logs,
    ctx,
    worker(opts = {}) {
      const w = createQueueWorker({ ...contextOptions, listen: false, ...opts });
      workers.push(w);
      return w;
    },
    publishMx(domain, hosts) {
      dns.set(domain, { MX: hosts.map((h) => `${h.priority} ${h.host || "."}`) });
      for (const h of hosts) if (h.host && h.host !== ".") dns.set(h.host, { A: [h.address ?? "127.0.0.1"] });
    },
    async publishDkim(domain) {
      const [key] = await getActiveDkimKeys({ domain });
      dns.set(`${key.selector}._domainkey.${domain}`, { TXT: [dkimRecordValue(key.publicKey)] });
    },
    async close() {
      for (const w of workers) await w.stop().catch(() => undefined);
      await mx.close();
      await dns.close();
      await db.drop();
    },
  };
}

export async function recipientRows(messageId: number) {
  const r = await getPool().query<{
    id: number;
    address: string;
    status: string;
    attempts: number;
    last_error: string | null;
    remote_reply: string | null;
    next_attempt_at: Date;
    locked_until: Date | null;
    delay_notified_at: Date | null;
  }>("SELECT * FROM outbound_recipients WHERE message_id = $1 ORDER BY id", [messageId]);
  return r.rows;
}

/** Raw messages in a user's INBOX, oldest first. */
export async function inbox(userId: number): Promise<Buffer[]> {
  const r = await getPool().query<{ data: Buffer }>(
    `SELECT b.data FROM messages m JOIN mailboxes x ON x.id = m.mailbox_id JOIN blobs b ON b.hash = m.blob_hash
     WHERE m.user_id = $1 AND x.name = 'INBOX' ORDER BY m.uid`,
    [userId],
  );
  return r.rows.map((x) => x.data);
}

