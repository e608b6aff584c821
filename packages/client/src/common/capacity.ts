// The capacity rule, once for the server (claims, the candidate search, inventory writes) and the
// SDK's users (the CLI's tree view): what an inventory can hold. The server's SQL rendering of the
// same rule is objects/capacity.ts's fitsSql. A leaf that imports nothing (see at.ts).

/** What capacity is computed from: an inventory's total, reserved and allocation_ratio. */
export interface Limits {
  readonly total: number;
  readonly reserved: number;
  readonly ratio: number;
}

/** (total - reserved) * allocation_ratio, unrounded: the limit usage may reach. */
export function allocatable(inv: Limits): number {
  return (inv.total - inv.reserved) * inv.ratio;
}

/** Capacity as provider summaries show it and inventory writes check it (Python's int() truncates). */
export function capacityOf(inv: Limits): number {
  return Math.trunc(allocatable(inv));
}
