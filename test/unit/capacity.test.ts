// The usage room a checked claim write compares under its locks (claim-statement.ts) is exactly the
// capacity rule's: the most usage for which `added` more still fits, as `fits` computes it.
import { expect, it } from "vitest";
import fc from "fast-check";
import { allocatable, usageRoom } from "../../src/objects/capacity.js";

it("usageRoom is the largest usage with room for what is added, in the rule's own float arithmetic", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.integer({ min: 0, max: 2 ** 20 }),
      fc.oneof(fc.constantFrom(1, 1.5, 16, 0.9999, 1.1, 3.3333), fc.double({ min: 0.01, max: 64, noNaN: true })),
      fc.integer({ min: 1, max: 2 ** 20 }),
      (total, reserved, ratio, added) => {
        const inv = { total, reserved, ratio };
        const room = usageRoom(inv, added);
        expect(Number.isInteger(room)).toBe(true);
        expect(room + added <= allocatable(inv)).toBe(true);
        expect(room + 1 + added <= allocatable(inv)).toBe(false);
      },
    ),
    { numRuns: 2000 },
  );
});
