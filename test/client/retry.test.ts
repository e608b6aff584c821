// The conflict retry helper: re-run the read-modify-write on generation conflicts, within a bound.
import { describe, expect, it } from "vitest";
import { errorFromReply } from "../../packages/client/src/errors.js";
import { retryOnConflict } from "../../packages/client/src/retry.js";

const genConflict = () => errorFromReply(409, new Headers(), JSON.stringify({ errors: [{ detail: "x", code: "placement.concurrent_update" }] }));
const otherConflict = () => errorFromReply(409, new Headers(), JSON.stringify({ errors: [{ detail: "x", code: "placement.inventory.inuse" }] }));
const noDelay = { delayMs: () => 0 };

describe("retryOnConflict", () => {
  it("re-runs the attempt after generation conflicts until it succeeds", async () => {
    const seen: number[] = [];
    const r = await retryOnConflict(async (n) => {
      seen.push(n);
      if (n < 3) throw genConflict();
      return "done";
    }, noDelay);
    expect(r).toBe("done");
    expect(seen).toEqual([1, 2, 3]);
  });

  it("gives up after the bound with the last conflict", async () => {
    let calls = 0;
    await expect(
      retryOnConflict(
        async () => {
          calls++;
          throw genConflict();
        },
        { attempts: 4, ...noDelay },
      ),
    ).rejects.toMatchObject({ status: 409, code: "placement.concurrent_update" });
    expect(calls).toBe(4);
  });

  it("does not retry other errors", async () => {
    let calls = 0;
    await expect(
      retryOnConflict(async () => {
        calls++;
        throw otherConflict();
      }, noDelay),
    ).rejects.toMatchObject({ code: "placement.inventory.inuse" });
    expect(calls).toBe(1);
  });

  it("retries what retryIf accepts", async () => {
    let calls = 0;
    const r = await retryOnConflict(
      async () => {
        if (++calls < 2) throw new Error("flaky");
        return calls;
      },
      { retryIf: (e) => (e as Error).message === "flaky", ...noDelay },
    );
    expect(r).toBe(2);
  });
});
