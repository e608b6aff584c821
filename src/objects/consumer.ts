// Consumers and what identifies them (projects, users, consumer types): looked up in batches and
// created on first use. Creation is race-safe: insert ignoring a duplicate, then read again.
import { sql, type QueryCreator } from "kysely";
import type { Store } from "../db/open.js";
import type { DB } from "../db/schema.js";
import { ignoringDuplicates, type Tx } from "../db/tx.js";
import { nowUtc } from "../db/time.js";
import { first } from "@berth/client/common";

/** The consumer type name the API shows for a consumer without one. */
export const NULL_CONSUMER_TYPE_ALIAS = "unknown";

export interface ConsumerRow {
  id: number;
  uuid: string;
  projectId: number;
  userId: number;
  generation: number;
  consumerTypeId: number | null;
}

/**
 * A value from a map keyed by what the caller asked for. NOTE: MySQL compares strings without case,
 * so a row may come back spelled differently from the request; fall back to a case-blind match.
 */
export function pick<V>(m: Map<string, V>, key: string): V | undefined {
  const hit = m.get(key);
  if (hit !== undefined) return hit;
  const lower = key.toLowerCase();
  for (const [k, v] of m) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export interface Identities {
  projects: readonly string[];
  users: readonly string[];
  types: readonly string[];
}
export interface IdentityIds {
  projects: Map<string, number>;
  users: Map<string, number>;
  types: Map<string, number>;
}

/** What a claim looks up by key before it decides anything. */
export interface LookupRequest extends Identities {
  consumers: readonly string[];
  classes: readonly string[];
  providers: readonly string[];
  /** Consumers whose allocations to read. */
  allocationsOf?: readonly string[];
  /** Lock the providers (FOR UPDATE, in uuid order) in the same statement; needs caps.supportsLockingCte. */
  lockProviders?: boolean;
}
export interface Lookup extends IdentityIds {
  consumers: Map<string, ConsumerRow>;
  classes: Map<string, number>;
  /** uuid -> id and generation, read without a lock. */
  providers: Map<string, { id: number; uuid: string; generation: number }>;
  /** Lower-case consumer uuid -> `${providerId}:${classId}` -> used, for `allocationsOf`. */
  allocations: Map<string, Map<string, number>>;
  /** Lower-case uuids of the consumers whose allocations were read (`allocationsOf`). */
  allocationsRead?: Set<string>;
}

/**
 * Every key lookup a claim needs in one round trip: a UNION ALL of small indexed selects, each row
 * tagged with its kind and padded to the same columns.
 */
export async function lookupAll(trx: Tx, want: LookupRequest): Promise<Lookup> {
  const out = emptyLookup();
  const nil = sql<number | null>`null`;
  // Each part is built on the query creator it is given: the first one carries the WITH clause.
  const parts: ((qc: any) => any)[] = [];
  const uniq = (a: readonly string[]) => [...new Set(a)];
  // NOTE: consumers come first so the padded NULL columns of later parts take their integer types.
  if (want.consumers.length)
    parts.push((qc) =>
      qc
        .selectFrom("consumers")
        .select([sql<string>`'c'`.as("kind"), "id", "uuid as k", "project_id as a", "user_id as b", "generation as c", "consumer_type_id as d"])
        .where("uuid", "in", uniq(want.consumers)),
    );
  const simple =
    (kind: string, table: "projects" | "users" | "consumer_types" | "resource_classes", col: "external_id" | "name", keys: readonly string[]) => (qc: any) =>
      qc
        .selectFrom(table)
        .select([sql<string>`${sql.lit(kind)}`.as("kind"), "id", `${col} as k`, nil.as("a"), nil.as("b"), nil.as("c"), nil.as("d")])
        .where(col, "in", uniq(keys));
  if (want.classes.length) parts.push(simple("r", "resource_classes", "name", want.classes));
  if (want.projects.length) parts.push(simple("p", "projects", "external_id", want.projects));
  if (want.users.length) parts.push(simple("u", "users", "external_id", want.users));
  if (want.types.length) parts.push(simple("t", "consumer_types", "name", want.types));
  if (want.providers.length)
    parts.push((qc) =>
      (lock ? qc.selectFrom("locked_providers") : qc.selectFrom("resource_providers").where("uuid", "in", uniq(want.providers))).select([
        sql<string>`'g'`.as("kind"),
        "id",
        "uuid as k",
        "generation as a",
        nil.as("b"),
        nil.as("c"),
        nil.as("d"),
      ]),
    );
  const allocationsOf = want.allocationsOf ?? [];
  if (allocationsOf.length) out.allocationsRead = new Set(allocationsOf.map((c) => c.toLowerCase()));
  if (allocationsOf.length)
    parts.push((qc) =>
      qc
        .selectFrom("allocations")
        .select([
          sql<string>`'a'`.as("kind"),
          "resource_provider_id as id",
          "consumer_id as k",
          "resource_class_id as a",
          "used as b",
          nil.as("c"),
          nil.as("d"),
        ])
        .where("consumer_id", "in", uniq(allocationsOf)),
    );
  if (!parts.length) return out;
  // NOTE: a locking read inside WITH takes the providers' row locks (in uuid order) as part of the
  // lookup, and returns the rows as they are once locked (PostgreSQL, caps.supportsLockingCte).
  const lock = want.lockProviders && want.providers.length > 0;
  const head = lock
    ? trx.with("locked_providers", (w) =>
        w.selectFrom("resource_providers").select(["id", "uuid", "generation"]).where("uuid", "in", uniq(want.providers)).orderBy("uuid").forUpdate(),
      )
    : trx;
  let q = first(parts)(head);
  for (const p of parts.slice(1)) q = q.unionAll(p(trx));
  for (const r of (await q.execute()) as LookupRow[]) addLookupRow(out, r);
  return out;
}

export function emptyLookup(): Lookup {
  return { projects: new Map(), users: new Map(), types: new Map(), consumers: new Map(), classes: new Map(), providers: new Map(), allocations: new Map() };
}

/**
 * A row of a lookup's UNION ALL: `kind` is c (consumer), g (provider), a (an allocation of a
 * consumer), r (class), p (project), u (user) or t (consumer type); the other columns as the part
 * selects them.
 */
export interface LookupRow {
  kind: string;
  id: number;
  k: string;
  a: number | null;
  b: number | null;
  c: number | null;
  d: number | null;
}

export function addLookupRow(out: Lookup, r: LookupRow): void {
  const id = Number(r.id);
  if (r.kind === "c")
    out.consumers.set(r.k, {
      id,
      uuid: r.k,
      projectId: Number(r.a),
      userId: Number(r.b),
      generation: Number(r.c),
      consumerTypeId: r.d === null ? null : Number(r.d),
    });
  else if (r.kind === "g") out.providers.set(r.k, { id, uuid: r.k, generation: Number(r.a ?? 0) });
  else if (r.kind === "a") {
    const c = r.k.toLowerCase();
    let m = out.allocations.get(c);
    if (!m) out.allocations.set(c, (m = new Map()));
    const key = `${id}:${Number(r.a)}`;
    m.set(key, (m.get(key) ?? 0) + Number(r.b));
  } else (r.kind === "r" ? out.classes : r.kind === "p" ? out.projects : r.kind === "u" ? out.users : out.types).set(r.k, id);
}

/** Creates the projects, users and consumer types `found` lacks, and adds their ids to it. */
export async function ensureIdentities(store: Store, trx: Tx, want: Identities, found: IdentityIds): Promise<void> {
  const missing: Identities = {
    projects: want.projects.filter((p) => pick(found.projects, p) === undefined),
    users: want.users.filter((u) => pick(found.users, u) === undefined),
    types: want.types.filter((t) => pick(found.types, t) === undefined),
  };
  if (!missing.projects.length && !missing.users.length && !missing.types.length) return;
  const now = nowUtc();
  for (const [table, names, column] of [
    ["projects", missing.projects, "external_id"],
    ["users", missing.users, "external_id"],
    ["consumer_types", missing.types, "name"],
  ] as const) {
    if (!names.length) continue;
    const q = trx.insertInto(table).values([...new Set(names)].map((n) => ({ [column]: n, created_at: now })) as any);
    await ignoringDuplicates(store, q).execute();
  }
  const again = await lookupAll(trx, { ...missing, consumers: [], classes: [], providers: [] });
  for (const k of ["projects", "users", "types"] as const) for (const [n, id] of again[k]) found[k].set(n, id);
}

/**
 * What a write is built from: the transaction, or the transaction with data-modifying WITH clauses
 * attached that run in the same statement (PostgreSQL, store.caps.supportsDataModifyingCte).
 */
export type Writer = QueryCreator<DB>;

export interface NewConsumer {
  uuid: string;
  projectId: number;
  userId: number;
  generation: number;
  consumerTypeId: number | null;
}

/** Creates consumers in one statement; returns how many were new (fewer: a concurrent creator won). */
export async function insertConsumers(store: Store, trx: Writer, consumers: readonly NewConsumer[]): Promise<number> {
  const r = await insertConsumersQuery(store, trx, consumers, nowUtc()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n);
}

/** The INSERT of insertConsumers, skipping uuids that exist. */
export function insertConsumersQuery(store: Store, trx: Writer, consumers: readonly NewConsumer[], now: string) {
  const q = trx.insertInto("consumers").values(
    consumers.map((c) => ({
      uuid: c.uuid,
      project_id: c.projectId,
      user_id: c.userId,
      generation: c.generation,
      consumer_type_id: c.consumerTypeId,
      created_at: now,
    })),
  );
  return ignoringDuplicates(store, q);
}

/**
 * Writes the consumer's project, user and type, and bumps its generation when `bump`, if the
 * generation is still the one read. Returns false when it was not (another writer got there first).
 */
export async function updateConsumer(
  trx: Writer,
  c: ConsumerRow,
  next: { projectId: number; userId: number; consumerTypeId: number | null },
  bump: boolean,
): Promise<boolean> {
  const r = await trx
    .updateTable("consumers")
    .set({
      project_id: next.projectId,
      user_id: next.userId,
      consumer_type_id: next.consumerTypeId,
      ...(bump ? { generation: c.generation + 1 } : {}),
      updated_at: nowUtc(),
    })
    .where("id", "=", c.id)
    .where("generation", "=", c.generation)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Removes the consumers that have no allocations left. */
export async function deleteConsumersWithoutAllocations(trx: Tx, uuids: readonly string[]): Promise<void> {
  if (!uuids.length) return;
  await trx
    .deleteFrom("consumers")
    .where("uuid", "in", [...uuids])
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom("allocations as a").select("a.id").whereRef("a.consumer_id", "=", "consumers.uuid"))))
    .execute();
}
