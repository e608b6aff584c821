// Inventories of a provider: reading them, and the writes that replace, add, change or remove them.
// Every write ends with the provider's generation compare-and-swap, in the caller's transaction.
import type { Tx } from "../db/tx.js";
import { fromDb, nowUtc } from "../db/time.js";
import { DomainError, Duplicate, NotFound } from "./errors.js";
import { bumpGeneration, type ProviderRow } from "./resource-provider.js";
import { ResourceClassNotFound } from "./resource-class.js";
import { capacityOf, INVENTORY_COLUMNS } from "./capacity.js";

export interface Inventory {
  resourceClass: string;
  total: number;
  reserved: number;
  minUnit: number;
  maxUnit: number;
  stepSize: number;
  allocationRatio: number;
  /** When it was last written (undefined for one built from a request). */
  modified?: Date;
}

/** The defaults the API fills in for fields a request leaves out. */
export const DEFAULTS = Object.freeze({ reserved: 0, minUnit: 1, maxUnit: 0x7fffffff, stepSize: 1, allocationRatio: 1.0 });

/** The class has no inventory on the provider. */
export class InventoryNotFound extends NotFound {}
/** The provider already has inventory of the class. */
export class InventoryExists extends Duplicate {}
/** Allocations exist against inventory that would be removed. */
export class InventoryInUse extends DomainError {}

/** What can be allocated (capacity.ts: the one rule), truncated as the reference does. */
export function capacity(inv: Inventory): number {
  return capacityOf({ total: inv.total, reserved: inv.reserved, ratio: inv.allocationRatio });
}

/**
 * The first inventory whose capacity is not acceptable: below 1, or (when reserved may equal
 * total, from 1.26) below 0.
 */
export function firstOverReserved(invs: readonly Inventory[], reservedCanBeTotal: boolean): Inventory | undefined {
  return invs.find((inv) => (reservedCanBeTotal ? capacity(inv) < 0 : capacity(inv) <= 0));
}

/** The provider's inventories, in the order they were created. */
export async function listInventories(trx: Tx, providerId: number): Promise<Inventory[]> {
  const rows = await trx
    .selectFrom("inventories as i")
    .innerJoin("resource_classes as rc", "rc.id", "i.resource_class_id")
    .select(["rc.name", ...INVENTORY_COLUMNS, "i.created_at", "i.updated_at"])
    .where("i.resource_provider_id", "=", providerId)
    .orderBy("i.id")
    .execute();
  return rows.map((r) => ({
    resourceClass: r.name,
    total: Number(r.total),
    reserved: Number(r.reserved),
    minUnit: Number(r.min_unit),
    maxUnit: Number(r.max_unit),
    stepSize: Number(r.step_size),
    allocationRatio: Number(r.allocation_ratio),
    modified: fromDb(r.updated_at) ?? fromDb(r.created_at),
  }));
}

/** Adds inventory of a class the provider does not have yet. */
export async function addInventory(trx: Tx, provider: ProviderRow, inv: Inventory): Promise<number> {
  const rcId = (await classIds(trx, [inv.resourceClass])).get(inv.resourceClass)!;
  const existing = await currentClassIds(trx, provider.id);
  if (existing.has(rcId)) throw new InventoryExists(`Inventory for ${inv.resourceClass} already exists on resource provider ${provider.uuid}`);
  await insertRows(trx, provider.id, [[rcId, inv]]);
  return bumpGeneration(trx, provider.id, provider.generation);
}

/** Changes inventory the provider already has. */
export async function updateInventory(trx: Tx, provider: ProviderRow, inv: Inventory): Promise<number> {
  const rcId = (await classIds(trx, [inv.resourceClass])).get(inv.resourceClass)!;
  const existing = await currentClassIds(trx, provider.id);
  if (!existing.has(rcId)) throw new InventoryNotFound(`No inventory of class ${inv.resourceClass} found.`);
  await updateRow(trx, provider.id, rcId, inv);
  return bumpGeneration(trx, provider.id, provider.generation);
}

/** Removes the inventory of one class; refuses while allocations use it. */
export async function deleteInventory(trx: Tx, provider: ProviderRow, resourceClass: string): Promise<number> {
  const rcId = (await classIds(trx, [resourceClass])).get(resourceClass)!;
  await refuseInUse(trx, provider, [rcId]);
  const r = await trx.deleteFrom("inventories").where("resource_provider_id", "=", provider.id).where("resource_class_id", "=", rcId).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw new InventoryNotFound(`No inventory of class ${resourceClass} found for delete`);
  return bumpGeneration(trx, provider.id, provider.generation);
}

/**
 * Makes the provider's inventory exactly `invs`: adds, changes and removes records as needed.
 * Removing a class with allocations throws InventoryInUse.
 */
export async function setInventories(trx: Tx, provider: ProviderRow, invs: readonly Inventory[]): Promise<number> {
  const ids = await classIds(
    trx,
    invs.map((i) => i.resourceClass),
  );
  const existing = await currentClassIds(trx, provider.id);
  const wanted = new Map(invs.map((i) => [ids.get(i.resourceClass)!, i]));
  const toDelete = [...existing].filter((id) => !wanted.has(id)).sort((a, b) => a - b);
  // NOTE: new records go in class-id order, the order the reference creates them in, which is the
  // order listings show them in.
  const toAdd = [...wanted].filter(([id]) => !existing.has(id)).sort(([a], [b]) => a - b);
  const toUpdate = [...wanted].filter(([id]) => existing.has(id));
  if (toDelete.length) {
    await refuseInUse(trx, provider, toDelete);
    await trx.deleteFrom("inventories").where("resource_provider_id", "=", provider.id).where("resource_class_id", "in", toDelete).execute();
  }
  await insertRows(trx, provider.id, toAdd);
  for (const [id, inv] of toUpdate) await updateRow(trx, provider.id, id, inv);
  return bumpGeneration(trx, provider.id, provider.generation);
}

/** name -> id for the classes; throws ResourceClassNotFound for the first unknown name. */
async function classIds(trx: Tx, names: readonly string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  if (names.length) {
    const rows = await trx
      .selectFrom("resource_classes")
      .select(["id", "name"])
      .where("name", "in", [...new Set(names)])
      .execute();
    for (const r of rows) found.set(r.name, r.id);
  }
  const missing = names.find((n) => !found.has(n));
  if (missing !== undefined) throw new ResourceClassNotFound(missing);
  return found;
}

async function currentClassIds(trx: Tx, providerId: number): Promise<Set<number>> {
  const rows = await trx.selectFrom("inventories").select("resource_class_id").where("resource_provider_id", "=", providerId).execute();
  return new Set(rows.map((r) => r.resource_class_id));
}

/** Throws InventoryInUse naming (in class-id order) the classes that have allocations. */
async function refuseInUse(trx: Tx, provider: ProviderRow, rcIds: readonly number[]): Promise<void> {
  const used = await trx
    .selectFrom("allocations as a")
    .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
    .select(["rc.id", "rc.name"])
    .where("a.resource_provider_id", "=", provider.id)
    .where("a.resource_class_id", "in", [...rcIds])
    .groupBy(["rc.id", "rc.name"])
    .orderBy("rc.id")
    .execute();
  if (used.length) throw new InventoryInUse(`Inventory for '${used.map((u) => u.name).join(", ")}' on resource provider '${provider.uuid}' in use.`);
}

function columns(inv: Inventory) {
  return {
    total: inv.total,
    reserved: inv.reserved,
    min_unit: inv.minUnit,
    max_unit: inv.maxUnit,
    step_size: inv.stepSize,
    allocation_ratio: inv.allocationRatio,
  };
}

async function insertRows(trx: Tx, providerId: number, rows: readonly (readonly [number, Inventory])[]): Promise<void> {
  if (!rows.length) return;
  const now = nowUtc();
  await trx
    .insertInto("inventories")
    .values(rows.map(([rcId, inv]) => ({ resource_provider_id: providerId, resource_class_id: rcId, ...columns(inv), created_at: now })))
    .execute();
}

async function updateRow(trx: Tx, providerId: number, rcId: number, inv: Inventory): Promise<void> {
  await trx
    .updateTable("inventories")
    .set({ ...columns(inv), updated_at: nowUtc() })
    .where("resource_provider_id", "=", providerId)
    .where("resource_class_id", "=", rcId)
    .execute();
}
