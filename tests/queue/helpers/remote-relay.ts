import { parseConfig } from "../../../lib/config.ts";
import type { RunningServer } from "../../../lib/server-handle.ts";
import { startRelay } from "../../../workers/relay.ts";
import { startTestDns, type TestDns } from "../../helpers/test-dns.ts";
import { startFakeMx, type FakeMx } from "./fake-mx.ts";

// The outbound relay of a test database, as workers/relay.ts runs it, delivering mail for
// remote.example to a fake MX (mx.remote.example, 127.0.0.1) that a test DNS server names.

export interface RemoteRelay {
  relay: RunningServer;
  dns: TestDns;
  mx: FakeMx;
  close(): Promise<void>;
}

export async function startRemoteRelay(databaseUrl: string): Promise<RemoteRelay> {
  const dns = await startTestDns({
    "remote.example": { MX: ["10 mx.remote.example"] },
    "mx.remote.example": { A: ["127.0.0.1"] },
  });
  const mx = await startFakeMx();
  const relay = await startRelay(
    parseConfig({ DATABASE_URL: databaseUrl, MAIL_HOSTNAME: "mail.pigeon.test", DNS_SERVERS: dns.address, OUTBOUND_SMTP_PORT: String(mx.port) }),
    () => undefined,
  );
  return {
    relay,
    dns,
    mx,
    async close() {
      await relay.close();
      await mx.close();
      await dns.close();
    },
  };
}
