import { describe, expect, it } from "vitest";
import { compileThread } from "./compiler.ts";
import { baseSubject, sortMessages, threadOrderedSubject, threadReferences } from "./sort-thread.ts";
import type { SortFields } from "./store-adapter.ts";

function msg(uid: number, over: Partial<SortFields> = {}): SortFields {
  return {
    uid,
    size: 100 * uid,
    internalDate: new Date(Date.UTC(2026, 0, uid)),
    sentDate: new Date(Date.UTC(2026, 0, uid)),
    subject: `s${uid}`,
    from: { name: null, mailbox: `u${uid}`, host: "x.test" },
    to: null,
    cc: null,
    messageId: `<m${uid}@x>`,
    inReplyTo: null,
    references: [],
    ...over,
  };
}

describe("base subject (RFC 5256 §2.1)", () => {
  it("strips Re:, Fwd:, blobs, (fwd) and [fwd: ]", () => {
    expect(baseSubject("Re: Re: [list] Fwd: hello (fwd)")).toEqual({ base: "HELLO", reply: true });
    expect(baseSubject("[fwd: Re: Lunch]")).toEqual({ base: "LUNCH", reply: true });
    expect(baseSubject("  Plain   subject ")).toEqual({ base: "PLAIN SUBJECT", reply: false });
    expect(baseSubject("[only blob]")).toEqual({ base: "[ONLY BLOB]", reply: false });
  });
});

describe("SORT", () => {
  it("sorts by keys with REVERSE, ties by sequence", () => {
    const ms = [msg(1, { subject: "b" }), msg(2, { subject: "Re: a" }), msg(3, { subject: "a" })];
    expect(sortMessages(ms, [{ key: "SUBJECT", reverse: false }])).toEqual([2, 3, 1]);
    expect(sortMessages(ms, [{ key: "SUBJECT", reverse: false }, { key: "DATE", reverse: true }])).toEqual([3, 2, 1]);
    expect(sortMessages(ms, [{ key: "SIZE", reverse: true }])).toEqual([3, 2, 1]);
    const named = [msg(1, { from: { name: "Zed", mailbox: "a", host: "x" } }), msg(2, { from: { name: null, mailbox: "b", host: "x" } })];
    expect(sortMessages(named, [{ key: "FROM", reverse: false }])).toEqual([1, 2]);
    expect(sortMessages(named, [{ key: "DISPLAYFROM", reverse: false }])).toEqual([2, 1]);
  });
});

describe("THREAD", () => {
  it("ORDEREDSUBJECT groups by base subject under the first message", () => {
    const ms = [msg(1, { subject: "x" }), msg(2, { subject: "y" }), msg(3, { subject: "Re: x" }), msg(4, { subject: "re: x" })];
    expect(compileThread(threadOrderedSubject(ms)).toString()).toBe("* THREAD (1 (3)(4))(2)\r\n");
  });

  it("REFERENCES links by References and In-Reply-To, with missing parents and subjects", () => {
    const ms = [
      msg(1, { subject: "root" }),
      msg(2, { subject: "Re: root", references: ["<m1@x>"] }),
      msg(3, { subject: "Re: root", inReplyTo: "<m2@x>" }),
      msg(4, { subject: "Re: root", references: ["<m1@x>"] }),
      msg(5, { subject: "other" }),
      // Parent missing from the result: hangs from the dummy, joined by subject.
      msg(6, { subject: "Re: lost", references: ["<gone@x>"] }),
      msg(7, { subject: "Re: lost", references: ["<gone@x>"] }),
    ];
    expect(compileThread(threadReferences(ms)).toString()).toBe("* THREAD (1 (2 3)(4))(5)((6)(7))\r\n");
  });
});
