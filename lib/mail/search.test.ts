import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../tests/helpers/db.ts";
import { rawMessage, seedUsers } from "../../tests/helpers/fixtures.ts";
import { appendMessage } from "./append.ts";
import { getMailboxOrThrow } from "./mailboxes.ts";
import { emailIdOf, searchMessages, threadIdOf, type SearchKey } from "./search.ts";
import { getPool } from "../db/client.ts";

let db: TestDatabase;
let userId: number;
let mailboxId: number;

beforeAll(async () => {
  db = await createTestDatabase();
  const { users } = await seedUsers(["s"]);
  userId = users.s.id;
  mailboxId = (await getMailboxOrThrow({ userId, name: "INBOX" })).id;
  await appendMessage({ userId, mailboxId, raw: rawMessage({ from: "Ann <ann@one.example>", subject: "Quarterly report", body: "Revenue grew nicely" }), flags: ["\\Seen"], internalDate: new Date("2026-01-10T12:00:00Z") });
  await appendMessage({ userId, mailboxId, raw: rawMessage({ from: "=?UTF-8?B?SsO8cmdlbg==?= <jurgen@two.example>", subject: "Lunch?", body: "Pizza at noon" }), flags: ["\\Flagged", "$Work"], internalDate: new Date("2026-02-01T08:00:00Z") });
  await appendMessage({ userId, mailboxId, raw: rawMessage({ subject: "Big one", body: "x".repeat(5000) }), internalDate: new Date("2026-03-01T08:00:00Z") });
});
afterAll(async () => {
  await db.drop();
});

const uids = async (key: SearchKey) => (await searchMessages({ userId, mailboxId, key })).map((h) => h.uid);

describe("searchMessages", () => {
  it("matches flags, keywords and their negations", async () => {
    expect(await uids({ type: "flag", flag: "\\Seen", present: true })).toEqual([1]);
    expect(await uids({ type: "flag", flag: "\\seen", present: false })).toEqual([2, 3]);
    expect(await uids({ type: "flag", flag: "$work", present: true })).toEqual([2]);
  });

  it("matches headers raw and decoded, text and body through the full-text index", async () => {
    expect(await uids({ type: "header", field: "subject", value: "REPORT" })).toEqual([1]);
    expect(await uids({ type: "header", field: "from", value: "jurgen@two" })).toEqual([2]);
    expect(await uids({ type: "body", value: "pizz" })).toEqual([2]);
    expect(await uids({ type: "text", value: "revenue grew" })).toEqual([1]);
    expect(await uids({ type: "text", value: "ann@one.example" })).toEqual([1]);
    expect(await uids({ type: "body", value: "nonexistentword" })).toEqual([]);
  });

  it("matches dates, sizes, uids and boolean combinations", async () => {
    expect(await uids({ type: "date", field: "internal", op: "before", date: new Date("2026-02-01") })).toEqual([1]);
    expect(await uids({ type: "date", field: "internal", op: "on", date: new Date("2026-02-01") })).toEqual([2]);
    expect(await uids({ type: "date", field: "internal", op: "since", date: new Date("2026-02-01") })).toEqual([2, 3]);
    expect(await uids({ type: "size", op: "larger", bytes: 4000 })).toEqual([3]);
    expect(await uids({ type: "or", left: { type: "uid", uids: [1] }, right: { type: "size", op: "larger", bytes: 4000 } })).toEqual([1, 3]);
    expect(await uids({ type: "and", keys: [{ type: "not", key: { type: "flag", flag: "\\Seen", present: true } }, { type: "uidRange", from: 1, to: 2 }] })).toEqual([2]);
  });

  it("never finds another user's messages", async () => {
    const { users } = await seedUsers(["other"]);
    expect(await searchMessages({ userId: users.other.id, mailboxId, key: { type: "all" } })).toEqual([]);
  });
});

describe("object ids", () => {
  it("finds messages by THREADID and EMAILID, and nothing for malformed ids", async () => {
    const all = await getPool().query("SELECT uid, thread_id, blob_hash FROM messages WHERE mailbox_id = $1 ORDER BY uid", [mailboxId]);
    const first = all.rows[0];
    expect(await uids({ type: "threadId", id: threadIdOf(Number(first.thread_id)) })).toEqual([1]);
    expect(await uids({ type: "emailId", id: emailIdOf(first.blob_hash) })).toEqual([1]);
    expect(await uids({ type: "threadId", id: "T0; DROP TABLE x" })).toEqual([]);
    expect(await uids({ type: "emailId", id: "Mzz" })).toEqual([]);
  });
});
