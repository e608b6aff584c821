// Resource providers: lookup, generations (the one compare-and-swap), and persistence.
import type { Tx } from "../db/tx.js";
import { nowUtc } from "../db/time.js";
import { ConcurrentUpdate, NotFound } from "./errors.js";

export interface ProviderRow {
  id: number;
  uuid: string;
  name: string | null;
  generation: number;
  root_provider_id: number | null;
  parent_provider_id: number | null;
  created_at: string | Date | null;
  updated_at: string | Date | null;
}

/** The provider with this uuid, or undefined. */
export async function findProvider(trx: Tx, uuid: string): Promise<ProviderRow | undefined> {
  const row = await trx.selectFrom("resource_providers").selectAll().where("uuid", "=", uuid).executeTakeFirst();
  return row ? { ...row, generation: row.generation ?? 0 } : undefined;
}

/** The provider with this uuid; throws NotFound. */
export async function getProvider(trx: Tx, uuid: string): Promise<ProviderRow> {
  const row = await findProvider(trx, uuid);
  if (!row) throw new NotFound(`No resource provider with uuid ${uuid} found`);
  return row;
}

/**
 * The compare-and-swap every provider write goes through: bumps the generation only if it is still
 * `expected`; throws ConcurrentUpdate otherwise. Returns the new generation.
 */
export async function bumpGeneration(trx: Tx, providerId: number, expected: number): Promise<number> {
  const r = await trx
    .updateTable("resource_providers")
    .set({ generation: expected + 1, updated_at: nowUtc() })
    .where("id", "=", providerId)
    .where("generation", "=", expected)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw new ConcurrentUpdate(`generation of provider ${providerId} changed`);
  return expected + 1;
}
