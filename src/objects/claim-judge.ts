// Judging capacity in memory: the reference's checks and errors for one claim's items, and a batch
// judged in arrival order against the usage the claims before it left. The arithmetic itself is
// capacity.ts's.
import { pythonSetOrder } from "../python/set-order.js";
import { DomainError } from "./errors.js";
import { allocatable, unitsFit, type Inv } from "./capacity.js";
import { CapacityExceeded, ConstraintsViolated, InvalidInventory, type ConsumerWrite } from "./allocation.js";
import type { Item } from "./claim-plan.js";

/** An inventory row with the usage against it (read keyed by `${providerId}:${rcId}`). */
export type CapacityRow = Inv;

/**
 * Throws the reference's error for the first item that does not fit, in its order of checks.
 * `inv` may hold more providers and classes than the items name (a batch reads them at once);
 * `usedOf` gives the usage to check against (by default what was read).
 */
export function judgeCapacity(
  items: readonly Item[],
  inv: ReadonlyMap<string, CapacityRow>,
  usedOf: (key: string) => number = (k) => inv.get(k)?.used ?? 0,
): void {
  const rcIds = [...new Set(items.map((i) => i.rcId))];
  const providers = new Map(items.map((i) => [i.provider.id, i.provider.uuid]));
  const missing = [...providers].filter(([id]) => !rcIds.some((rc) => inv.has(`${id}:${rc}`))).map(([, u]) => u);
  if (missing.length) {
    // NOTE: the reference names every class of the request here, in the order a Python set of
    // their ids iterates.
    const names = new Map(items.map((i) => [i.rcId, i.rcName]));
    const classes = pythonSetOrder(items.map((i) => i.rcId)).map((id) => names.get(id)!);
    throw new InvalidInventory(classes.join(", "), missing.join(", "));
  }

  const wanted = new Map<string, number>();
  for (const it of items) {
    const key = `${it.provider.id}:${it.rcId}`;
    const sum = (wanted.get(key) ?? 0) + it.used;
    wanted.set(key, sum);
    if (it.used === 0) continue;
    const r = inv.get(key);
    if (!r) throw new InvalidInventory(it.rcName, it.provider.uuid);
    if (!unitsFit(r, it.used)) throw new ConstraintsViolated(it.rcName, it.provider.uuid);
    const used = usedOf(key);
    const capacity = allocatable(r);
    if (capacity < used + it.used || capacity < used + sum) throw new CapacityExceeded(it.rcName, it.provider.uuid);
  }
}

/** One claim of a batch: its index in the batch, its writes and what they check. */
export interface Live {
  i: number;
  writes: ConsumerWrite[];
  items: Item[];
}

/**
 * Judges the claims in arrival order, each after giving back its consumers' old allocations and
 * against the usage the accepted ones before it left; records each refusal in `results` and
 * returns the accepted claims.
 */
export function judgeInOrder(
  live: readonly Live[],
  inv: ReadonlyMap<string, CapacityRow>,
  old: ReadonlyMap<string, ReadonlyMap<string, number>>,
  results: (DomainError | undefined)[],
): Live[] {
  const usage = new Map([...inv].map(([k, r]) => [k, r.used]));
  const accepted: Live[] = [];
  for (const l of live) {
    const mine = new Map<string, number>();
    for (const w of l.writes) for (const [k, used] of old.get(w.uuid.toLowerCase()) ?? []) mine.set(k, (mine.get(k) ?? 0) + used);
    try {
      judgeCapacity(l.items, inv, (k) => (usage.get(k) ?? 0) - (mine.get(k) ?? 0));
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      results[l.i] = e;
      continue;
    }
    for (const [k, used] of mine) usage.set(k, (usage.get(k) ?? 0) - used);
    for (const it of l.items) usage.set(key(it), (usage.get(key(it)) ?? 0) + it.used);
    accepted.push(l);
  }
  return accepted;
}

/** Each claim bumps every provider it touches once, as it would have alone. */
export function bumpsPerClaim(claims: readonly Live[]): Map<number, number> {
  const by = new Map<number, number>();
  for (const l of claims) for (const id of new Set(l.items.map((it) => it.provider.id))) by.set(id, (by.get(id) ?? 0) + 1);
  return by;
}

const key = (it: Item) => `${it.provider.id}:${it.rcId}`;
