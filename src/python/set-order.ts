// The order CPython 3 iterates a set of small non-negative integers: the reference lists resource
// classes in some capacity messages by iterating a set of their ids.

/**
 * The order CPython 3 iterates `set(ints)` built from this sequence (small non-negative ints hash
 * to themselves): open addressing with linear probes, and a 4x resize when 3/5 full.
 */
export function pythonSetOrder(values: readonly number[]): number[] {
  const LINEAR_PROBES = 9;
  const PERTURB_SHIFT = 5;
  let table: (number | undefined)[] = new Array(8).fill(undefined);
  let used = 0;
  const place = (t: (number | undefined)[], v: number): boolean => {
    const mask = t.length - 1;
    let perturb = v;
    let i = v & mask;
    for (;;) {
      const probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
      for (let j = 0; j <= probes; j++) {
        if (t[i + j] === undefined) {
          t[i + j] = v;
          return true;
        }
        if (t[i + j] === v) return false;
      }
      perturb = Math.floor(perturb / 2 ** PERTURB_SHIFT);
      i = (i * 5 + 1 + perturb) & mask;
    }
  };
  for (const v of values) {
    if (!place(table, v)) continue;
    used++;
    if (used * 5 >= (table.length - 1) * 3) {
      let size = 8;
      while (size <= used * 4) size *= 2;
      const next: (number | undefined)[] = new Array(size).fill(undefined);
      for (const x of table) if (x !== undefined) place(next, x);
      table = next;
    }
  }
  return table.filter((x): x is number => x !== undefined);
}
