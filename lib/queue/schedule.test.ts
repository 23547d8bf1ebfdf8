import { describe, expect, it } from "vitest";
import { countReceivedHeaders, nextAttemptAt, retryDelayMs } from "./schedule.ts";

describe("retry schedule", () => {
  it("grows 1, 5, 15, 30 minutes, 1 h, 2 h, then every 4 h", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => retryDelayMs(n) / 60_000)).toEqual([1, 5, 15, 30, 60, 120, 240, 240, 240]);
  });

  it("never schedules past the expiry, so the last try happens when the lifetime ends", () => {
    const now = new Date("2026-02-03T10:00:00Z");
    const expires = new Date("2026-02-03T12:00:00Z");
    expect(nextAttemptAt(now, 1, expires)).toEqual(new Date("2026-02-03T10:01:00Z"));
    expect(nextAttemptAt(now, 7, expires)).toEqual(expires);
  });
});

describe("hop counting", () => {
  it("counts Received fields in the header section only", () => {
    const raw = Buffer.from("Received: a\r\nreceived : b\r\n\tfolded\r\nSubject: x\r\n\r\nReceived: in the body\r\n");
    expect(countReceivedHeaders(raw)).toBe(2);
  });
});
