// Allocations: what a claim asks for (ConsumerWrite) and the errors it can end in, the reads GET
// shows, and DELETE. Claims are written by the claim modules, each with one job:
//
//   claim-plan.ts       what a claim reads first (consumers, classes, providers) and the items it checks
//   claim-judge.ts      capacity judged in memory, for one claim or a batch in arrival order
//   claim-write.ts      the transactional writes: locks, consumers, allocations, generation bumps
//   claim-statement.ts  read once, judge, then one generation-checked write (no open transaction)
//   claim-queue.ts      group commit: which path a batch of concurrent claims takes
import type { Tx } from "../db/tx.js";
import { fromDb } from "../db/time.js";
import { ConcurrentUpdate, DomainError, NotFound } from "./errors.js";
import { deleteConsumersWithoutAllocations } from "./consumer.js";
import { first } from "@berth/client/common";

/** A provider generation changed under the claim on every attempt. */
export class ProviderConcurrentUpdate extends ConcurrentUpdate {
  constructor() {
    super("Another thread concurrently updated the resource provider data. Please retry your update");
  }
}
/** A consumer's generation changed between reading and writing it. */
export class ConsumerConcurrentUpdate extends ConcurrentUpdate {
  constructor() {
    super("Another thread concurrently updated the data. Please retry your update");
  }
}
/** The consumer generation in the request is not the stored one. */
export class ConsumerGenerationConflict extends ConcurrentUpdate {}
/** An allocation names a provider that does not exist. */
export class AllocationProviderNotFound extends NotFound {
  constructor(readonly uuid: string) {
    super(`Allocation for resource provider '${uuid}' that does not exist.`);
  }
}
/** The provider has no inventory of the class. */
export class InvalidInventory extends DomainError {
  constructor(resourceClass: string, provider: string, message?: string) {
    super(message ?? `Inventory for '${resourceClass}' on resource provider '${provider}' invalid.`);
  }
}
export class CapacityExceeded extends InvalidInventory {
  constructor(resourceClass: string, provider: string) {
    super(
      resourceClass,
      provider,
      `Unable to create allocation for '${resourceClass}' on resource provider '${provider}'. The requested amount would exceed the capacity.`,
    );
  }
}
export class ConstraintsViolated extends InvalidInventory {
  constructor(resourceClass: string, provider: string) {
    super(
      resourceClass,
      provider,
      `Unable to create allocation for '${resourceClass}' on resource provider '${provider}'. The requested amount would violate inventory constraints.`,
    );
  }
}

/** One consumer's part of a claim. */
export interface ConsumerWrite {
  uuid: string;
  project: string;
  user: string;
  /** From 1.28: the generation the client saw, null for a consumer it believes new. */
  checkGeneration: boolean;
  generation?: number | null;
  /** The generation as the client wrote it, where Python shows it otherwise (1.0, 2^63+1), for the conflict message. */
  generationText?: string;
  /** From 1.38. */
  consumerType?: string;
  /** provider uuid -> class name -> amount; empty removes the consumer's allocations. */
  allocations: Map<string, Map<string, number>>;
}

export interface ConsumerAllocations {
  /** provider uuid -> {generation, resources} */
  providers: Map<string, { generation: number; resources: Record<string, number> }>;
  project?: string;
  user?: string;
  generation?: number;
  consumerType?: string | null;
  modified?: Date;
}

/** The consumer's allocations, as GET /allocations/{consumer_uuid} shows them. */
export async function allocationsOfConsumer(trx: Tx, consumerUuid: string): Promise<ConsumerAllocations> {
  const rows = await trx
    .selectFrom("allocations as a")
    .innerJoin("resource_providers as rp", "rp.id", "a.resource_provider_id")
    .innerJoin("consumers as c", "c.uuid", "a.consumer_id")
    .innerJoin("projects as p", "p.id", "c.project_id")
    .innerJoin("users as u", "u.id", "c.user_id")
    .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
    .leftJoin("consumer_types as ct", "ct.id", "c.consumer_type_id")
    .select([
      "rp.uuid as rp_uuid",
      "rp.generation as rp_generation",
      "rc.name as rc",
      "a.used",
      "a.created_at",
      "a.updated_at",
      "c.generation",
      "p.external_id as project",
      "u.external_id as user",
      "ct.name as consumer_type",
    ])
    .where("a.consumer_id", "=", consumerUuid)
    .orderBy("a.id")
    .execute();
  const out: ConsumerAllocations = { providers: new Map() };
  for (const r of rows) {
    let p = out.providers.get(r.rp_uuid);
    if (!p) out.providers.set(r.rp_uuid, (p = { generation: r.rp_generation ?? 0, resources: {} }));
    p.resources[r.rc] = Number(r.used);
    const m = fromDb(r.updated_at) ?? fromDb(r.created_at);
    if (m && (!out.modified || m > out.modified)) out.modified = m;
  }
  if (rows.length) {
    const row = first(rows);
    out.project = row.project;
    out.user = row.user;
    out.generation = Number(row.generation);
    out.consumerType = row.consumer_type;
  }
  return out;
}

export interface ProviderAllocations {
  /** consumer uuid -> {generation, resources} */
  consumers: Map<string, { generation: number; resources: Record<string, number> }>;
  modified?: Date;
}

/** The allocations against a provider, by consumer. */
export async function allocationsOfProvider(trx: Tx, providerId: number): Promise<ProviderAllocations> {
  const rows = await trx
    .selectFrom("allocations as a")
    .innerJoin("consumers as c", "c.uuid", "a.consumer_id")
    .innerJoin("projects as p", "p.id", "c.project_id")
    .innerJoin("users as u", "u.id", "c.user_id")
    .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
    .select(["c.uuid", "c.generation", "rc.name as rc", "a.used", "a.created_at", "a.updated_at"])
    .where("a.resource_provider_id", "=", providerId)
    .orderBy("a.id")
    .execute();
  const out: ProviderAllocations = { consumers: new Map() };
  for (const r of rows) {
    let c = out.consumers.get(r.uuid);
    if (!c) out.consumers.set(r.uuid, (c = { generation: Number(r.generation), resources: {} }));
    c.resources[r.rc] = Number(r.used);
    const m = fromDb(r.updated_at) ?? fromDb(r.created_at);
    if (m && (!out.modified || m > out.modified)) out.modified = m;
  }
  return out;
}

/** Deletes every allocation of the consumer, and the consumer. Throws NotFound when it has none. */
export async function deleteAllocationsOfConsumer(trx: Tx, consumerUuid: string): Promise<void> {
  const rows = await trx
    .selectFrom("allocations as a")
    .innerJoin("consumers as c", "c.uuid", "a.consumer_id")
    .select(["a.id", "c.uuid"])
    .where("a.consumer_id", "=", consumerUuid)
    .execute();
  if (!rows.length) throw new NotFound(`No allocations for consumer '${consumerUuid}'`);
  // NOTE: as in the reference, removing allocations does not bump provider or consumer generations.
  await trx
    .deleteFrom("allocations")
    .where(
      "id",
      "in",
      rows.map((r) => r.id),
    )
    .execute();
  await deleteConsumersWithoutAllocations(trx, [first(rows).uuid]);
}
