// The usage room a checked claim write compares under its locks (claim-statement.ts) is exactly the
// capacity rule's: the most usage for which `added` more still fits, as `fits` computes it.
import { expect, it } from "vitest";
import fc from "fast-check";
import { allocatable, usageRoom } from "../../src/objects/capacity.js";

it("usageRoom is the largest usage with room for what is added, in the rule's own float arithmetic, over the schema's ranges", () => {
  fc.assert(
    fc.property(
      // The schema's ranges: total and reserved up to MAX_INT, a FLOAT ratio up to 3.4e38.
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.oneof(
        fc.constantFrom(1, 1.5, 16, 0.9999, 1.1, 3.3333, 4194305, 1e13, 3.4e38),
        fc.double({ min: 0.01, max: 64, noNaN: true }),
        fc.double({ min: 0, max: 3.4e38, noNaN: true }),
      ),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      (total, reserved, ratio, added) => {
        const inv = { total, reserved, ratio };
        const limit = allocatable(inv);
        const room = usageRoom(inv, added);
        expect(Number.isSafeInteger(room)).toBe(true);
        if (room >= 0) expect(room + added <= limit).toBe(true);
        // The largest such usage, where a double still counts in ones.
        if (limit < 2 ** 53) expect(Math.max(room, -1) + 1 + added <= limit).toBe(false);
      },
    ),
    { numRuns: 2000 },
  );
});
