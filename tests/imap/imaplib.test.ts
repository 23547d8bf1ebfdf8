import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { deliverMessage } from "../../lib/mail/deliver.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { rawMessage, seedUsers } from "../helpers/fixtures.ts";
import { startTestImap, type TestImap } from "./helpers.ts";

// Python's imaplib as a second, independent client (STARTTLS and implicit TLS).

let db: TestDatabase;
let server: TestImap;
beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestImap();
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

it("works with Python's imaplib", async () => {
  const { users } = await seedUsers(["py"]);
  const userId = users.py.id;
  for (const s of ["first", "second zebra", "third"]) {
    await deliverMessage({ raw: rawMessage({ subject: s, body: s.includes("zebra") ? "a zebra crossing" : "nothing to see" }), targets: [{ userId }] });
  }
  const ca = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pigeon-ca-")), "ca.pem");
  fs.writeFileSync(ca, server.tls.cert);
  const script = path.join(import.meta.dirname, "imaplib-client.py");
  const { stdout } = await promisify(execFile)("python3", [script, "127.0.0.1", String(server.port), String(server.securePort), users.py.email, "correct horse", ca]);
  const out = JSON.parse(stdout);
  expect(out.pre_tls_caps).toContain("STARTTLS");
  expect(out.pre_tls_caps).toContain("LOGINDISABLED");
  expect(out.login).toBe("OK");
  expect(out.caps).toContain("IDLE");
  expect(out.list).toContain('(\\HasNoChildren \\Sent) "/" "Sent"');
  expect(out.select).toEqual(["OK", 3]);
  expect(out.search_all).toBe("1 2 3");
  expect(out.search_text).toBe("2");
  expect(out.search_or).toBe("1 3");
  expect(out.uid_search_unseen).toBe("1 2 3");
  expect(out.fetch_subject).toBe("first");
  expect(out.fetch_body).toBe("nothing to see");
  expect(out.flags_after_fetch).toEqual(["1 (FLAGS (\\Seen))", "2 (FLAGS ())", "3 (FLAGS ())"]);
  expect(out.store).toEqual(["2 (FLAGS (\\Flagged))"]);
  expect(out.copy).toBe("OK");
  expect(out.append[0]).toBe("OK");
  expect(out.append[1]).toMatch(/^\[APPENDUID \d+ 1\] APPEND completed$/);
  expect(out.expunge).toEqual(["3"]);
  expect(out.status).toMatch(/^"Archive" \(MESSAGES 1 UIDNEXT 2\)$/);
  expect(out.create).toBe("OK");
  expect(out.rename).toBe("OK");
  expect(out.list_snake).toEqual(['(\\HasChildren) "/" "Snake"', '(\\HasNoChildren) "/" "Snake/Nested"']);
  expect(out.select_missing).toEqual(["NO", "[NONEXISTENT] No such mailbox"]);
  expect(out.implicit_tls_fetch).toBe("Subject: second zebra\r\n\r\n");
  expect(out.store_readonly).toEqual(["NO", "[READ-ONLY] Mailbox is read-only"]);
  expect(out.bad_login).toContain("AUTHENTICATIONFAILED");
  fs.rmSync(path.dirname(ca), { recursive: true, force: true });
});
