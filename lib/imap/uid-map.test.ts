import { describe, expect, it } from "vitest";
import { UidMap } from "./uid-map.ts";

describe("UidMap", () => {
  it("maps sequence numbers to UIDs and back", () => {
    const m = new UidMap([3, 5, 9, 10]);
    expect(m.size).toBe(4);
    expect(m.uidAt(1)).toBe(3);
    expect(m.uidAt(5)).toBeUndefined();
    expect(m.seqOf(9)).toBe(3);
    expect(m.seqOf(4)).toBe(0);
    expect(m.maxUid).toBe(10);
    expect(m.uidsInRange(4, 9)).toEqual([5, 9]);
    expect(m.uidsInSeqRange(2, 99)).toEqual([5, 9, 10]);
  });

  it("builds a gapless map from a range", () => {
    const m = UidMap.fromRange(5, 100_004);
    expect(m.size).toBe(100_000);
    expect(m.uidAt(1)).toBe(5);
    expect(m.seqOf(100_004)).toBe(100_000);
    m.append([100_010]);
    expect(m.maxUid).toBe(100_010);
    expect(UidMap.fromRange(1, 0).size).toBe(0);
  });

  it("appends only larger UIDs and grows", () => {
    const m = new UidMap([]);
    m.append([2, 1, 3]);
    m.append(Array.from({ length: 100 }, (_, i) => i + 4));
    expect(m.size).toBe(103);
    m.append([50]);
    expect(m.size).toBe(103);
    expect(m.toArray().slice(0, 4)).toEqual([1, 2, 3, 4]);
  });

  it("removes many, returning EXPUNGE numbers valid in sending order (highest first)", () => {
    const m = new UidMap([1, 2, 3, 4, 5]);
    expect(m.removeMany([2, 4, 7])).toEqual([4, 2]);
    expect(m.toArray()).toEqual([1, 3, 5]);
    expect(m.remove(3)).toBe(2);
    expect(m.toArray()).toEqual([1, 5]);
  });
});
