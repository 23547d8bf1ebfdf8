import type { Config } from "../lib/config.ts";
import { createImapServer } from "../lib/imap/server.ts";
import type { RunningServer } from "../lib/server-handle.ts";
import { getTlsMaterial } from "../lib/tls.ts";
import { isMain, runWorker } from "./run-worker.ts";

// IMAP: STARTTLS on IMAP_PORT, implicit TLS on IMAPS_PORT.
export async function startImapServers(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  const tls = await getTlsMaterial(config);
  const plain = createImapServer({ config, tls, log });
  const secure = createImapServer({ config, tls, implicitTls: true, log });
  const ports: number[] = [];
  try {
    ports.push(await plain.listen(config.imapPort, config.bindAddress));
    ports.push(await secure.listen(config.imapsPort, config.bindAddress));
  } catch (err) {
    await Promise.all([plain.close(), secure.close()]).catch(() => undefined);
    throw err;
  }
  log(`imap: listening on ${config.bindAddress}:${ports[0]} (STARTTLS) and :${ports[1]} (TLS) as ${config.mailHostname}`);
  return {
    name: "imap",
    ports,
    close: async () => {
      await Promise.all([plain.close(), secure.close()]);
    },
  };
}

if (isMain(import.meta.url)) runWorker("imap", startImapServers);
