import { describe, expect, it } from "vitest";
import { parseTopHeaders } from "../mime/structure.ts";
import { isOwnedAddress } from "./submission-identity.ts";
import { checkHeaderSenders, completeSubmittedMessage } from "./submission-message.ts";

const owned = new Set(["alice@mine.test", "team@mine.test"]);
const msg = (...headers: string[]) => Buffer.from([...headers, "Subject: x", "", "body", ""].join("\r\n"));

describe("isOwnedAddress", () => {
  it("takes the addresses, any case, and their +tag sub-addresses", () => {
    expect(isOwnedAddress(owned, "Alice@Mine.Test")).toBe(true);
    expect(isOwnedAddress(owned, "alice+lists@mine.test")).toBe(true);
    expect(isOwnedAddress(owned, "team+x+y@mine.test")).toBe(true);
    expect(isOwnedAddress(owned, "bob@mine.test")).toBe(false);
    expect(isOwnedAddress(owned, "alice@mine.test.evil")).toBe(false);
    expect(isOwnedAddress(owned, "+alice@mine.test")).toBe(false);
    expect(isOwnedAddress(owned, "alice@other.test")).toBe(false);
  });
});

describe("checkHeaderSenders", () => {
  it("accepts the user's addresses in the usual forms", () => {
    for (const from of [
      "alice@mine.test",
      "Alice <alice@mine.test>",
      '"Alice (home)" <ALICE@mine.test>',
      "alice@mine.test (Alice)",
      "=?utf-8?q?Al=C3=AFce?= <alice+x@mine.test>",
      "Alice <alice@mine.test>, The Team <team@mine.test>",
      '"bob@victim.test" <alice@mine.test>',
    ]) {
      expect(checkHeaderSenders(msg(`From: ${from}`), owned), from).toBeNull();
    }
    expect(checkHeaderSenders(msg("From: alice@mine.test", "Sender: team@mine.test"), owned)).toBeNull();
  });

  it("refuses any address the user does not own, however it is written", () => {
    for (const from of [
      "bob@victim.test",
      '"alice@mine.test" <bob@victim.test>',
      "alice@mine.test <bob@victim.test>",
      "alice@mine.test bob@victim.test",
      "alice@mine.test, bob@victim.test",
      "<bob@victim.test> alice@mine.test",
      "alice@mine.test@victim.test",
    ]) {
      expect(checkHeaderSenders(msg(`From: ${from}`), owned), from).toMatchObject({ kind: "not-owned" });
    }
    expect(checkHeaderSenders(msg("From: alice@mine.test", "Sender: bob@victim.test"), owned)).toEqual({
      kind: "not-owned",
      address: "bob@victim.test",
      field: "Sender",
    });
    expect(checkHeaderSenders(msg("From: alice@mine.test", "Subject: y\r\n folded", "fRoM : bob@victim.test"), owned)).toMatchObject({
      kind: "malformed",
    });
  });

  it("refuses a missing From, groups and entries without an address", () => {
    expect(checkHeaderSenders(msg("To: bob@victim.test"), owned)).toMatchObject({ kind: "missing" });
    expect(checkHeaderSenders(msg("From: undisclosed:;"), owned)).toMatchObject({ kind: "malformed" });
    expect(checkHeaderSenders(msg("From: Team: alice@mine.test;"), owned)).toMatchObject({ kind: "malformed" });
    expect(checkHeaderSenders(msg("From: Alice"), owned)).toMatchObject({ kind: "malformed" });
    expect(checkHeaderSenders(msg("From: "), owned)).toMatchObject({ kind: "malformed" });
  });

  it("reads a From folded over several lines", () => {
    expect(checkHeaderSenders(msg("From: Alice\r\n <alice@mine.test>"), owned)).toBeNull();
    expect(checkHeaderSenders(msg("From: Alice <alice@mine.test>,\r\n\tbob@victim.test"), owned)).toMatchObject({ kind: "not-owned" });
  });
});

describe("completeSubmittedMessage", () => {
  const now = new Date(Date.UTC(2026, 1, 3, 10, 0, 0));
  const trace = "Received: from x by y; Tue, 03 Feb 2026 10:00:00 +0000\r\n";

  it("adds Date and Message-ID below the trace field when missing", () => {
    const out = completeSubmittedMessage(msg("From: alice@mine.test"), { trace, mailHostname: "mail.mine.test", now });
    const headers = parseTopHeaders(out);
    expect(headers.map((h) => h.name)).toEqual(["received", "date", "message-id", "from", "subject"]);
    expect(headers[1].value).toBe("Tue, 03 Feb 2026 10:00:00 +0000");
    expect(headers[2].value).toMatch(/^<[0-9a-f-]{36}@mail\.mine\.test>$/);
    expect(out.toString().endsWith("\r\n\r\nbody\r\n")).toBe(true);
  });

  it("keeps the client's Date and Message-ID", () => {
    const raw = msg("From: alice@mine.test", "date: Mon, 02 Feb 2026 09:00:00 +0100", "Message-Id: <abc@client>");
    const out = completeSubmittedMessage(raw, { trace, mailHostname: "mail.mine.test", now });
    expect(out.equals(Buffer.concat([Buffer.from(trace), raw]))).toBe(true);
  });
});
