// Element access where the code knows the element is there (an index below the length, a regex
// group that always takes part, a key just set): the absence the type allows is an internal error,
// thrown with what was asked, not a silent undefined. A leaf that imports nothing: the SDK, the CLI
// and the server all use it (.dependency-cruiser.cjs, rule "common-is-a-leaf").

/** The element at index `i`; throws when it is not there. */
export function at<T>(xs: ArrayLike<T>, i: number): T {
  const x = xs[i];
  if (x === undefined) throw new RangeError(`internal error: no element at index ${i} of ${xs.length}`);
  return x;
}

/** The first element; throws when there is none. */
export function first<T>(xs: ArrayLike<T>): T {
  return at(xs, 0);
}

/** The last element; throws when there is none. */
export function last<T>(xs: ArrayLike<T>): T {
  return at(xs, xs.length - 1);
}

/** The value of `key` in a record; throws when it is not there. */
export function entry<T>(record: Readonly<Record<string, T>>, key: string): T {
  const x = Object.hasOwn(record, key) ? record[key] : undefined;
  if (x === undefined) throw new RangeError(`internal error: no entry ${JSON.stringify(key)}`);
  return x;
}
