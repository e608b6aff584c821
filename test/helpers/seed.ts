// Providers with inventory inserted straight into the database, for tests that need many quickly.
import type { Store } from "../../src/db/open.js";
import { nowUtc } from "../../src/db/time.js";
import { insertId } from "../../src/db/tx.js";

export interface SeedInventory {
  total: number;
  reserved?: number;
  min_unit?: number;
  max_unit?: number;
  step_size?: number;
  allocation_ratio?: number;
}

/** An inventories row; max_unit defaults to the total. */
export function inventoryRow(providerId: number, classId: number, inv: SeedInventory, createdAt: string | null = null) {
  return {
    resource_provider_id: providerId,
    resource_class_id: classId,
    total: inv.total,
    reserved: inv.reserved ?? 0,
    min_unit: inv.min_unit ?? 1,
    max_unit: inv.max_unit ?? inv.total,
    step_size: inv.step_size ?? 1,
    allocation_ratio: inv.allocation_ratio ?? 1,
    created_at: createdAt,
    updated_at: null,
  };
}

/** Creates a root provider with the given inventories (class name -> record); returns its id. */
export async function seedProvider(store: Store, uuid: string, inventories: Record<string, SeedInventory>): Promise<number> {
  const db = store.db;
  const now = nowUtc();
  return db.transaction().execute(async (trx) => {
    const id = await insertId(store, trx, "resource_providers", { uuid, name: `seed-${uuid}`, generation: 0, created_at: now });
    await trx.updateTable("resource_providers").set({ root_provider_id: id }).where("id", "=", id).execute();
    const classes = await trx.selectFrom("resource_classes").select(["id", "name"]).where("name", "in", Object.keys(inventories)).execute();
    const ids = new Map(classes.map((c) => [c.name, c.id]));
    for (const [rc, inv] of Object.entries(inventories))
      await trx
        .insertInto("inventories")
        .values(inventoryRow(id, ids.get(rc)!, { max_unit: 0x7fffffff, ...inv }, now))
        .execute();
    return id;
  });
}
