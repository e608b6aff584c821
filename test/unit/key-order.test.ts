// keyOrder (src/db/key-order.ts): the order new keys are created in agrees with every database's
// unique keys, MySQL's case-blind ones included.
import { expect, it } from "vitest";
import fc from "fast-check";
import { keyOrder } from "../../src/db/key-order.js";

it("sorts case-blind first, then exactly", () => {
  expect(["b", "A", "a", "B", "c"].sort(keyOrder)).toEqual(["A", "a", "B", "b", "c"]);
});

it("is a total order: any two lists of the same keys sort alike, and keys equal without case stay together", () => {
  fc.assert(
    fc.property(fc.array(fc.stringMatching(/^[a-fA-F0-9-]{0,6}$/)), (keys) => {
      const a = [...keys].sort(keyOrder);
      const b = [...keys].reverse().sort(keyOrder);
      expect(a).toEqual(b);
      const lower = a.map((k) => k.toLowerCase());
      expect(lower).toEqual([...lower].sort());
    }),
  );
});
