// Traits: standard (os-traits) and CUSTOM_ ones, and the traits of providers.
import type { Tx } from "../db/tx.js";

/** name -> id for the names that exist. */
export async function traitIds(trx: Tx, names: readonly string[]): Promise<Map<string, number>> {
  if (names.length === 0) return new Map();
  const rows = await trx.selectFrom("traits").select(["id", "name"]).where("name", "in", [...names]).execute();
  return new Map(rows.map((r) => [r.name, r.id]));
}
