// The reference lists the classes of an allocation on a provider without inventory in the order a
// Python set of their ids iterates; pythonSetOrder reproduces CPython's order.
import { expect, it } from "vitest";
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { pythonSetOrder } from "../../src/python/set-order.js";

it("orders small sets as CPython does", () => {
  expect(pythonSetOrder([9, 3])).toEqual([9, 3]);
  expect(pythonSetOrder([10001, 0, 1, 2, 9])).toEqual([0, 1, 2, 9, 10001]);
  expect(pythonSetOrder([10000, 8, 16, 24, 1, 2])).toEqual([1, 2, 8, 10000, 16, 24]);
});

const python = "/usr/bin/python3";
it.skipIf(!existsSync(python))("agrees with CPython on random class-id lists", () => {
  const ids = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 10000, max: 10064 }));
  fc.assert(
    fc.property(fc.array(fc.array(ids, { minLength: 1, maxLength: 12 }), { minLength: 20, maxLength: 20 }), (lists) => {
      const py = JSON.parse(execFileSync(python, ["-c", `print([list(set(l)) for l in ${JSON.stringify(lists)}])`]).toString()) as number[][];
      lists.forEach((l, i) => expect(pythonSetOrder(l)).toEqual(py[i]));
    }),
    { numRuns: 10 },
  );
});
