// Resource classes: standard ones keep their os-resource-classes ids, custom ones start at 10000.
import type { Store } from "../db/open.js";
import { fromDb, nowUtc } from "../db/time.js";
import { inTransaction, isDuplicateKey, type Tx } from "../db/tx.js";
import { DomainError, Duplicate, NotFound } from "./errors.js";

export const MIN_CUSTOM_ID = 10000;
/** How often creating a class retries after another creator took the same new id. */
const CREATE_ATTEMPTS = 100;

export class ResourceClassNotFound extends NotFound {
  constructor(readonly className: string) {
    super(`No such resource class ${className}.`);
  }
}
export class ResourceClassExists extends Duplicate {}
/** Standard classes are never renamed or deleted. */
export class StandardResourceClass extends DomainError {}
export class ResourceClassInUse extends DomainError {}
/** Every attempt to pick a free id lost to a concurrent creator. */
export class TooManyRetries extends DomainError {}

export interface ResourceClass {
  id: number;
  name: string;
  /** updated_at, else created_at. */
  modified?: Date;
}

// NOTE: names match exactly, case and trailing spaces included, as in the reference (whose lookups
// go through a Python dict); MySQL's default collations would otherwise find VCPU for "vcpu".
const exactly = <R extends { name: string }>(rows: R[], name: string): R | undefined => rows.find((r) => r.name === name);

/** The id of the class with this name, or undefined. */
export async function findResourceClassId(trx: Tx, name: string): Promise<number | undefined> {
  const rows = await trx.selectFrom("resource_classes").select(["id", "name"]).where("name", "=", name).execute();
  return exactly(rows, name)?.id;
}

/** id -> name for every class (a small table; read it once per request that needs names). */
export async function resourceClassNames(trx: Tx): Promise<Map<number, string>> {
  const rows = await trx.selectFrom("resource_classes").select(["id", "name"]).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

type Row = { id: number; name: string; created_at: string | Date | null; updated_at: string | Date | null };
const toClass = (r: Row): ResourceClass => ({ id: r.id, name: r.name, modified: fromDb(r.updated_at) ?? fromDb(r.created_at) });

/** Every class, standard ones first (by id). */
export async function listResourceClasses(trx: Tx): Promise<ResourceClass[]> {
  const rows = await trx.selectFrom("resource_classes").select(["id", "name", "created_at", "updated_at"]).orderBy("id").execute();
  return rows.map(toClass);
}

/** The class with this name; throws ResourceClassNotFound. */
export async function getResourceClass(trx: Tx, name: string): Promise<ResourceClass> {
  const rows = await trx.selectFrom("resource_classes").select(["id", "name", "created_at", "updated_at"]).where("name", "=", name).execute();
  const row = exactly(rows, name);
  if (!row) throw new ResourceClassNotFound(name);
  return toClass(row);
}

/**
 * Creates a custom class with the next free id (max + 1, at least MIN_CUSTOM_ID). Concurrent
 * creators may pick the same id; the loser retries in a fresh transaction, since a failed insert
 * spoils a PostgreSQL transaction. Throws ResourceClassExists when the name is taken.
 */
export async function createResourceClass(store: Store, name: string): Promise<ResourceClass> {
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    try {
      return await inTransaction(store, (trx) => insertResourceClass(trx, name));
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      if ((await findResourceClassId(store.db, name)) !== undefined) throw new ResourceClassExists(name);
    }
  }
  throw new TooManyRetries(`creating resource class ${name}`);
}

async function insertResourceClass(trx: Tx, name: string): Promise<ResourceClass> {
  if ((await findResourceClassId(trx, name)) !== undefined) throw new ResourceClassExists(name);
  const max = await trx
    .selectFrom("resource_classes")
    .select((eb) => eb.fn.max("id").as("max"))
    .executeTakeFirst();
  const top = max?.max == null ? 0 : Number(max.max);
  const id = top < MIN_CUSTOM_ID ? MIN_CUSTOM_ID : top + 1;
  const now = nowUtc();
  await trx.insertInto("resource_classes").values({ id, name, created_at: now }).execute();
  return { id, name, modified: fromDb(now) };
}

/** Renames a custom class (microversions 1.2-1.6). */
export async function renameResourceClass(trx: Tx, rc: ResourceClass, newName: string): Promise<ResourceClass> {
  if (rc.id < MIN_CUSTOM_ID) throw new StandardResourceClass(rc.name);
  if (newName !== rc.name && (await findResourceClassId(trx, newName)) !== undefined) throw new ResourceClassExists(newName);
  const now = nowUtc();
  try {
    await trx.updateTable("resource_classes").set({ name: newName, updated_at: now }).where("id", "=", rc.id).execute();
  } catch (e) {
    if (isDuplicateKey(e)) throw new ResourceClassExists(newName);
    throw e;
  }
  return { id: rc.id, name: newName, modified: fromDb(now) };
}

/** Deletes a custom class that no inventory uses. */
export async function deleteResourceClass(trx: Tx, rc: ResourceClass): Promise<void> {
  if (rc.id < MIN_CUSTOM_ID) throw new StandardResourceClass(`Cannot delete standard resource class ${rc.name}.`);
  const used = await trx.selectFrom("inventories").select("id").where("resource_class_id", "=", rc.id).limit(1).executeTakeFirst();
  if (used) throw new ResourceClassInUse(`Cannot delete resource class ${rc.name}. Class is in use in inventory.`);
  const r = await trx.deleteFrom("resource_classes").where("id", "=", rc.id).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw new ResourceClassNotFound(rc.name);
}
