// Resource classes: standard ones keep their os-resource-classes ids, custom ones start at 10000.
import type { Tx } from "../db/tx.js";

export const MIN_CUSTOM_ID = 10000;

/** The id of the class with this name, or undefined. */
export async function findResourceClassId(trx: Tx, name: string): Promise<number | undefined> {
  const row = await trx.selectFrom("resource_classes").select("id").where("name", "=", name).executeTakeFirst();
  return row?.id;
}

/** id -> name for every class (a small table; read it once per request that needs names). */
export async function resourceClassNames(trx: Tx): Promise<Map<number, string>> {
  const rows = await trx.selectFrom("resource_classes").select(["id", "name"]).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
