import { getConfig } from "../config.ts";
import { setupDatabase } from "../db/setup.ts";
import { isAppError } from "../errors.ts";
import { runCommand, USAGE, UsageError } from "./commands.ts";

// Entry of `npm run cli`. Connects like the server does: DATABASE_URL, or the embedded database of
// DATA_DIR (joining the running one, or starting it just for this command).

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help") {
    process.stdout.write(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const db = await setupDatabase(getConfig(), { poolSize: 2 });
  // Interrupted: stop the embedded database this command may have started.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void db.close().finally(() => process.exit(130)));
  }
  try {
    await runCommand(argv, { out: (l) => console.log(l), err: (l) => console.error(l) });
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(USAGE);
      return 2;
    }
    if (isAppError(err)) {
      console.error(`error: ${err.message}`);
      return 1;
    }
    console.error("error:", err);
    return 1;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error("error:", err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
