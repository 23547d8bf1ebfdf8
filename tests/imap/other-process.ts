// Runs in a separate process for tests/imap/cross-process.test.ts, as another Pigeon process
// would: "deliver" stores a message like the SMTP process does; "serve" runs a second IMAP server
// and prints its port. Both use the database named by DATABASE_URL.
import { connectDatabase, disconnectDatabase } from "../../lib/db/client.ts";
import { parseConfig } from "../../lib/config.ts";
import { createImapServer } from "../../lib/imap/server.ts";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { getTlsMaterial } from "../../lib/tls.ts";
import { rawMessage } from "../helpers/fixtures.ts";

const [mode, ...args] = process.argv.slice(2);
connectDatabase(process.env.DATABASE_URL!);

if (mode === "deliver") {
  await deliverMessage({ raw: rawMessage({ subject: args[1] }), targets: [{ userId: Number(args[0]) }] });
  console.log(`DELIVERED ${Date.now()}`);
  await disconnectDatabase();
  process.exit(0);
} else if (mode === "serve") {
  const config = parseConfig(process.env);
  const server = createImapServer({ config, tls: await getTlsMaterial(config), log: () => undefined });
  const port = await server.listen(0, "127.0.0.1");
  console.log(`PORT ${port}`);
  process.on("SIGTERM", async () => {
    await server.close();
    await disconnectDatabase();
    process.exit(0);
  });
}
