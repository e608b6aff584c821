// The capacity rule in one place: in memory for claims and the candidate search (the arithmetic
// itself is @berth/client/common (packages/client/src/common/capacity.ts), shared with the SDK's users), in SQL for the provider and
// candidate prefilters.
import { sql, type Expression, type RawBuilder, type SqlBool } from "kysely";
import { allocatable, capacityOf, type Limits } from "@berth/client/common";

export { allocatable, capacityOf, type Limits };

/** An inventory with the usage against it. */
export interface Inv {
  readonly total: number;
  readonly reserved: number;
  readonly minUnit: number;
  readonly maxUnit: number;
  readonly stepSize: number;
  readonly ratio: number;
  readonly used: number;
}

/**
 * The inventory columns the rule reads, in this order, from `inventories` aliased `i` (the claim's
 * capacity read, the candidate search's tree load and the inventory listing select them).
 */
export const INVENTORY_COLUMNS = ["i.total", "i.reserved", "i.min_unit", "i.max_unit", "i.step_size", "i.allocation_ratio"] as const;

/**
 * An inventory read from SQL (the INVENTORY_COLUMNS, drivers' numbers or strings) with the usage
 * against it (NULL for none).
 */
export function invFromRow(r: {
  total: unknown;
  reserved: unknown;
  min_unit: unknown;
  max_unit: unknown;
  step_size: unknown;
  allocation_ratio: unknown;
  used?: unknown;
}): Inv {
  return {
    total: Number(r.total),
    reserved: Number(r.reserved),
    minUnit: Number(r.min_unit),
    maxUnit: Number(r.max_unit),
    stepSize: Number(r.step_size),
    ratio: Number(r.allocation_ratio),
    used: Number(r.used ?? 0),
  };
}

/** One amount respects min_unit, max_unit and step_size. */
export function unitsFit(inv: Inv, amount: number): boolean {
  return inv.minUnit <= amount && inv.maxUnit >= amount && amount % inv.stepSize === 0;
}

/** The amount fits what is left and the unit rules (the candidate search's check). */
export function fits(inv: Inv | undefined, amount: number): boolean {
  return inv !== undefined && inv.used + amount <= allocatable(inv) && unitsFit(inv, amount);
}

/**
 * The most usage an inventory may hold for `added` more still to fit (negative: it cannot fit even
 * on an empty inventory). An integer, so a database compares it with a sum of integers exactly.
 */
export function usageRoom(inv: Limits, added: number): number {
  const limit = allocatable(inv);
  if (Number.isNaN(limit) || limit < 0) return -1;
  // Past 2^53 a double no longer counts in ones: any usage a database can sum in integers fits.
  if (limit >= 2 ** 53) return Number.MAX_SAFE_INTEGER - added;
  let room = Math.floor(limit) - added;
  // NOTE: the float arithmetic of `fits`, not its algebra: the result is checked in that form.
  while (room + 1 + added <= limit) room++;
  while (room + added > limit) room--;
  return room;
}

/**
 * The same rule in SQL, for an inventories row aliased `alias`: `used` is the usage against it
 * (NULL for none) and `amount` the amount asked, as a parameter or a literal.
 */
export function fitsSql(alias: string, used: Expression<unknown>, amount: Expression<unknown>): RawBuilder<SqlBool> {
  const col = (c: string) => sql.ref(`${alias}.${c}`);
  return sql<SqlBool>`${col("min_unit")} <= ${amount} AND ${col("max_unit")} >= ${amount} AND ${amount} % ${col("step_size")} = 0 AND coalesce(${used}, 0) + ${amount} <= (${col("total")} - ${col("reserved")}) * ${col("allocation_ratio")}`;
}
