// Usages: what a provider has allocated per class, and what a project (or one of its users)
// consumes, optionally grouped by consumer type (1.38).
import { sql } from "kysely";
import type { Tx } from "../db/tx.js";
import { NULL_CONSUMER_TYPE_ALIAS } from "./consumer.js";

/** class -> amount used, for every class the provider has inventory of (0 when unused). */
export async function usagesOfProvider(trx: Tx, providerId: number): Promise<Map<string, number>> {
  const rows = await trx
    .selectFrom("inventories as i")
    .innerJoin("resource_classes as rc", "rc.id", "i.resource_class_id")
    .leftJoin("allocations as a", (j) =>
      j.onRef("a.resource_provider_id", "=", "i.resource_provider_id").onRef("a.resource_class_id", "=", "i.resource_class_id"),
    )
    .select(["rc.name", (eb) => eb.fn.coalesce(eb.fn.sum<number>("a.used"), sql<number>`0`).as("used")])
    .where("i.resource_provider_id", "=", providerId)
    .groupBy(["i.resource_class_id", "rc.name"])
    .orderBy("i.resource_class_id")
    .execute();
  return new Map(rows.map((r) => [r.name, Number(r.used)]));
}

export interface UsageFilter {
  project: string;
  user?: string;
}

// Allocations of the project's (and user's) consumers.
function scoped(trx: Tx, f: UsageFilter) {
  let q = trx
    .selectFrom("allocations as a")
    .innerJoin("consumers as c", "c.uuid", "a.consumer_id")
    .innerJoin("projects as p", "p.id", "c.project_id")
    .where("p.external_id", "=", f.project);
  if (f.user) q = q.innerJoin("users as u", "u.id", "c.user_id").where("u.external_id", "=", f.user);
  return q;
}

/** class -> amount, for a project or a project's user (before 1.38). */
export async function usagesOfProject(trx: Tx, f: UsageFilter): Promise<Map<string, number>> {
  const rows = await scoped(trx, f)
    .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
    .select(["rc.name", (eb) => eb.fn.sum<number>("a.used").as("used")])
    .groupBy(["a.resource_class_id", "rc.name"])
    .orderBy("a.resource_class_id")
    .execute();
  return new Map(rows.map((r) => [r.name, Number(r.used)]));
}

/** consumer type -> {class -> amount, consumer_count} (1.38). */
export type TypedUsages = Map<string, { usages: Map<string, number>; consumerCount: number }>;

/**
 * Usages grouped by consumer type. `all` puts everything under one key, `unknown` only consumers
 * without a type; another name keeps only that type; undefined groups by every type.
 */
export async function usagesByConsumerType(trx: Tx, f: UsageFilter, consumerType?: string): Promise<TypedUsages> {
  const out: TypedUsages = new Map();
  if (consumerType === "all" || consumerType === "unknown") {
    const onlyUntyped = consumerType === "unknown";
    let sums = scoped(trx, f)
      .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
      .select(["rc.name", (eb) => eb.fn.sum<number>("a.used").as("used")])
      .groupBy(["a.resource_class_id", "rc.name"])
      .orderBy("a.resource_class_id");
    let count = scoped(trx, f).select((eb) => eb.fn.count<number>("a.consumer_id").distinct().as("n"));
    if (onlyUntyped) {
      sums = sums.where("c.consumer_type_id", "is", null);
      count = count.where("c.consumer_type_id", "is", null);
    }
    const [rows, n] = [await sums.execute(), await count.executeTakeFirst()];
    if (rows.length) out.set(consumerType, { usages: new Map(rows.map((r) => [r.name, Number(r.used)])), consumerCount: Number(n?.n ?? 0) });
    return out;
  }
  let base = scoped(trx, f).leftJoin("consumer_types as ct", "ct.id", "c.consumer_type_id");
  if (consumerType !== undefined) base = base.where("ct.name", "=", consumerType);
  const counts = await base
    .select(["ct.name as type", (eb) => eb.fn.count<number>("a.consumer_id").distinct().as("n")])
    .groupBy("ct.name")
    .execute();
  const rows = await base
    .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
    .select(["ct.name as type", "rc.name", (eb) => eb.fn.sum<number>("a.used").as("used")])
    .groupBy(["a.resource_class_id", "rc.name", "ct.name"])
    .orderBy("a.resource_class_id")
    .execute();
  const countOf = new Map(counts.map((c) => [c.type ?? NULL_CONSUMER_TYPE_ALIAS, Number(c.n)]));
  for (const r of rows) {
    const type = r.type ?? NULL_CONSUMER_TYPE_ALIAS;
    let g = out.get(type);
    if (!g) out.set(type, (g = { usages: new Map(), consumerCount: countOf.get(type) ?? 0 }));
    g.usages.set(r.name, Number(r.used));
  }
  return out;
}
