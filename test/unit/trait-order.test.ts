// sortByTraitId: each provider's trait rows in trait id order, whatever order the plan gave.
import { expect, it } from "vitest";
import fc from "fast-check";
import { sortByTraitId } from "../../src/objects/candidates/load.js";

it("gives each provider its traits in id order", () => {
  const rows = fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 400 })), {
    selector: (r) => `${r[0]}:${r[1]}`,
    maxLength: 40,
  });
  fc.assert(
    fc.property(rows, fc.boolean(), (rs, presorted) => {
      const input = presorted ? [...rs].sort((a, b) => a[0] - b[0] || a[1] - b[1]) : rs;
      const out = sortByTraitId(input);
      expect(out).toHaveLength(input.length);
      // The same rows, only reordered.
      const key = (r: readonly unknown[]) => `${r[0]}:${r[1]}`;
      expect(out.map(key).sort()).toEqual(input.map(key).sort());
      for (const p of new Set(input.map((r) => r[0]))) {
        const ids = out.filter((r) => r[0] === p).map((r) => r[1] as number);
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
      }
    }),
  );
});
