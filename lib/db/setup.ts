import type { Config } from "../config.ts";
import { connectDatabase } from "./client.ts";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "./embedded.ts";
import { migrate } from "./migrate.ts";

export interface DatabaseHandle {
  url: string;
  embedded?: EmbeddedDatabase;
  close(): Promise<void>;
}

/**
 * DATABASE_URL when set; otherwise the embedded server in DATA_DIR (joined when it already runs,
 * started otherwise). Applies pending migrations and connects this process's pool.
 */
export async function setupDatabase(
  config: Config,
  opts: { migrate?: boolean; log?: (line: string) => void; poolSize?: number } = {},
): Promise<DatabaseHandle> {
  let url = config.databaseUrl;
  let embedded: EmbeddedDatabase | undefined;
  if (!url) {
    embedded = await startEmbeddedDatabase(config.dataDir, opts.log);
    url = embedded.url;
  }
  if (opts.migrate !== false) await migrate(url);
  connectDatabase(url, opts.poolSize);
  return {
    url,
    embedded,
    close: async () => {
      const { disconnectDatabase } = await import("./client.ts");
      await disconnectDatabase();
      await embedded?.stop();
    },
  };
}
