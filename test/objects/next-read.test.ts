// NextRead (snapshot.ts): concurrent callers share token reads, and each caller gets a read that
// was sent after it called.
import { describe, expect, it } from "vitest";
import { NextRead } from "../../src/objects/candidates/snapshot.js";

/** Until NextRead has sent what it would send at the end of this turn of the event loop. */
const turn = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

/** A read whose answers the test gives one by one; `sent` counts the reads sent. */
function controlled() {
  const waiting: { resolve(v: number): void; reject(e: Error): void; n: number }[] = [];
  let sent = 0;
  const read = () =>
    new Promise<number>((resolve, reject) => {
      waiting.push({ resolve, reject, n: ++sent });
    });
  return {
    read,
    sent: () => sent,
    answer: async () => {
      const w = waiting.shift();
      w?.resolve(w.n);
      await turn();
    },
    fail: async (e: Error) => {
      waiting.shift()?.reject(e);
      await turn();
    },
  };
}

describe("NextRead", () => {
  it("callers of one turn share one read, sent at the end of the turn", async () => {
    const c = controlled();
    const tokens = new NextRead(c.read);
    const a = tokens.get();
    const b = tokens.get();
    expect(c.sent()).toBe(0);
    await turn();
    expect(c.sent()).toBe(1);
    await c.answer();
    expect(await Promise.all([a, b])).toEqual([1, 1]);
  });

  it("callers that come while a read is in flight share the next one, sent after it is answered", async () => {
    const c = controlled();
    const tokens = new NextRead(c.read);
    const first = tokens.get();
    await turn();
    const later = [tokens.get(), tokens.get(), tokens.get()];
    await turn();
    // Not sent yet: the read in flight was sent before these callers came.
    expect(c.sent()).toBe(1);
    await c.answer();
    expect(await first).toBe(1);
    expect(c.sent()).toBe(2);
    // One more caller while the second read is in flight waits for a third.
    const last = tokens.get();
    await c.answer();
    expect(await Promise.all(later)).toEqual([2, 2, 2]);
    expect(c.sent()).toBe(3);
    await c.answer();
    expect(await last).toBe(3);
  });

  it("a failed read fails its callers only; the next callers get a read of their own", async () => {
    const c = controlled();
    const tokens = new NextRead(c.read);
    const first = tokens.get();
    await turn();
    const second = tokens.get();
    const failed = expect(first).rejects.toThrow("connection lost");
    await c.fail(new Error("connection lost"));
    await failed;
    expect(c.sent()).toBe(2);
    await c.answer();
    expect(await second).toBe(2);
    const third = tokens.get();
    await turn();
    expect(c.sent()).toBe(3);
    await c.answer();
    expect(await third).toBe(3);
  });
});
