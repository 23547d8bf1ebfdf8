import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { seedUsers } from "../helpers/fixtures.ts";
import { RawImap, startTestImap, type TestImap } from "./helpers.ts";

// Mail events cross processes (Postgres NOTIFY): a message stored by another process (as the SMTP
// process does) shows at once in an IDLE session here, and a flag set through a second IMAP
// server process shows in a session on this one.

let db: TestDatabase;
let server: TestImap;
let other: ChildProcess | undefined;
const script = path.join(import.meta.dirname, "other-process.ts");
const tsx = path.resolve(import.meta.dirname, "../../node_modules/.bin/tsx");

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestImap();
});
afterAll(async () => {
  other?.kill("SIGTERM");
  await server?.close();
  await db?.drop();
});

function run(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(tsx, [script, ...args], { env: { ...process.env, DATABASE_URL: db.url, ...env }, stdio: ["ignore", "pipe", "inherit"] });
}

it("shows mail delivered by another process in IDLE, and flags set through another IMAP process", { timeout: 60_000 }, async () => {
  const { users } = await seedUsers(["far"]);
  const a = await RawImap.connect(server.port);
  await a.login(users.far.email, "correct horse", server.tls.cert);
  await a.command("s", "SELECT INBOX");
  await a.command("e", "ENABLE CONDSTORE");
  a.write("i IDLE\r\n");
  await a.readUntil((t) => t.includes("+ idling"));

  const deliver = run(["deliver", String(users.far.id), "from afar"]);
  let output = "";
  deliver.stdout!.on("data", (d) => (output += d.toString()));
  const exited = new Promise((resolve) => deliver.on("exit", resolve));
  const seen = await a.readUntil((t) => t.includes("EXISTS"), 20_000);
  const seenAt = Date.now();
  expect(seen).toBe("* 1 EXISTS\r\n");
  await exited;
  // "At once": within a moment of the other process's commit.
  const committedAt = Number(/DELIVERED (\d+)/.exec(output)![1]);
  expect(seenAt - committedAt).toBeLessThan(500);

  other = run(["serve"], { DATA_DIR: server.config.dataDir, MAIL_HOSTNAME: "other.pigeon.test" });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = "";
    other!.stdout!.on("data", (d) => {
      buf += d.toString();
      const m = /PORT (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    other!.on("exit", (code) => reject(new Error(`other IMAP process exited with ${code}`)));
  });
  const b = await RawImap.connect(port);
  await b.login(users.far.email, "correct horse", server.tls.cert);
  await b.command("s", "SELECT INBOX");
  expect(await b.command("f", "STORE 1 +FLAGS (\\Flagged)")).toBe("* 1 FETCH (FLAGS (\\Flagged))\r\nf OK STORE completed\r\n");
  expect(await a.readUntil((t) => t.includes("FETCH"), 5000)).toMatch(/^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)\r\n$/);
  a.write("DONE\r\n");
  expect(await a.readTagged("i")).toBe("i OK IDLE terminated\r\n");
  a.close();
  b.close();
});
