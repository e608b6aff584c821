// The one order in which a transaction creates rows that others may be creating at the same time.

/**
 * Case-blind first (MySQL's keys compare without case), then exact: a total order that every
 * database's unique keys agree with, so two transactions inserting the same new keys meet them in
 * the same order and one waits for the other instead of both deadlocking.
 */
export function keyOrder(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
}
