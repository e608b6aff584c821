// Seeds provider trees straight into the tables (bulk inserts, explicit ids) for candidate tests and
// benchmarks: 100,000 providers take seconds, and no other endpoint needs to work.
import { sql, type Kysely } from "kysely";
import type { DB } from "../../src/db/schema.js";

import { inventoryRow, type SeedInventory } from "./seed.js";

export type InvSpec = SeedInventory;

export interface ProviderSpec {
  /** Unique within one seed call; also the provider's name (prefixed by the seed's tag). */
  name: string;
  uuid?: string;
  parent?: string;
  inv?: Record<string, number | InvSpec>;
  used?: Record<string, number>;
  traits?: string[];
  aggs?: string[];
}

export interface Seeded {
  id: Map<string, number>;
  uuid: Map<string, string>;
  /** Provider uuid -> spec name, to read answers back. */
  name: Map<string, string>;
  /** aggregate label -> uuid */
  agg: Map<string, string>;
}

const NOW = "2024-01-01 00:00:00";
const CHUNK = 500;

async function insertMany(db: Kysely<DB>, table: keyof DB, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await (db as Kysely<any>)
      .insertInto(table)
      .values(rows.slice(i, i + CHUNK))
      .execute();
  }
}

async function ensureNames(db: Kysely<DB>, table: "traits" | "resource_classes", names: Set<string>): Promise<Map<string, number>> {
  const have = async () => {
    const rows = names.size
      ? await db
          .selectFrom(table)
          .select(["id", "name"])
          .where("name", "in", [...names])
          .execute()
      : [];
    return new Map(rows.map((r) => [r.name, r.id]));
  };
  let ids = await have();
  const missing = [...names].filter((n) => !ids.has(n));
  if (missing.length) {
    if (table === "resource_classes") {
      // NOTE: custom classes live at ids >= 10000, as the reference allocates them.
      const max = await db.selectFrom("resource_classes").select(sql<number>`max(id)`.as("m")).executeTakeFirst();
      let next = Math.max(10000, Number(max?.m ?? 0) + 1);
      await insertMany(
        db,
        table,
        missing.map((name) => ({ id: next++, name, created_at: NOW })),
      );
    } else {
      await insertMany(
        db,
        table,
        missing.map((name) => ({ name, created_at: NOW })),
      );
    }
    ids = await have();
  }
  return ids;
}

/** Inserts providers (parents before children in `specs`), their inventories, usages, traits and aggregates. */
export async function seedProviders(db: Kysely<DB>, specs: ProviderSpec[], tag = crypto.randomUUID().slice(0, 8)): Promise<Seeded> {
  const out: Seeded = { id: new Map(), uuid: new Map(), name: new Map(), agg: new Map() };
  const rcs = new Set<string>();
  const traits = new Set<string>();
  const aggs = new Set<string>();
  for (const s of specs) {
    Object.keys(s.inv ?? {}).forEach((r) => rcs.add(r));
    s.traits?.forEach((t) => traits.add(t));
    s.aggs?.forEach((a) => aggs.add(a));
  }
  const rcIds = await ensureNames(db, "resource_classes", rcs);
  const traitIds = await ensureNames(db, "traits", traits);
  for (const a of aggs) out.agg.set(a, /^[0-9a-f-]{36}$/.test(a) ? a : crypto.randomUUID());
  const existingAggs = aggs.size
    ? await db
        .selectFrom("placement_aggregates")
        .select(["id", "uuid"])
        .where("uuid", "in", [...out.agg.values()])
        .execute()
    : [];
  const aggIds = new Map(existingAggs.map((r) => [r.uuid!, r.id]));
  const newAggs = [...out.agg.values()].filter((u) => !aggIds.has(u));
  const maxAgg = await db.selectFrom("placement_aggregates").select(sql<number>`max(id)`.as("m")).executeTakeFirst();
  let nextAgg = Number(maxAgg?.m ?? 0) + 1;
  const aggRows = newAggs.map((uuid) => ({ id: nextAgg++, uuid, created_at: NOW }));
  aggRows.forEach((r) => aggIds.set(r.uuid, r.id));
  await insertMany(db, "placement_aggregates", aggRows);

  const maxRp = await db.selectFrom("resource_providers").select(sql<number>`max(id)`.as("m")).executeTakeFirst();
  let next = Number(maxRp?.m ?? 0) + 1;
  const rpRows: Record<string, unknown>[] = [];
  const rootOf = new Map<string, number>();
  for (const s of specs) {
    const id = next++;
    const uuid = s.uuid ?? crypto.randomUUID();
    out.id.set(s.name, id);
    out.uuid.set(s.name, uuid);
    out.name.set(uuid, s.name);
    const parent = s.parent === undefined ? null : out.id.get(s.parent)!;
    const root = s.parent === undefined ? id : rootOf.get(s.parent)!;
    rootOf.set(s.name, root);
    rpRows.push({ id, uuid, name: `${tag}-${s.name}`, generation: 1, root_provider_id: root, parent_provider_id: parent, created_at: NOW });
  }
  // Parents first, then children: the foreign keys hold row by row.
  await insertMany(db, "resource_providers", rpRows);
  const invRows: Record<string, unknown>[] = [];
  const allocRows: Record<string, unknown>[] = [];
  const traitRows: Record<string, unknown>[] = [];
  const aggLinkRows: Record<string, unknown>[] = [];
  for (const s of specs) {
    const id = out.id.get(s.name)!;
    for (const [rc, v] of Object.entries(s.inv ?? {})) {
      const i: InvSpec = typeof v === "number" ? { total: v } : v;
      invRows.push(inventoryRow(id, rcIds.get(rc)!, i, NOW));
    }
    for (const [rc, used] of Object.entries(s.used ?? {})) {
      allocRows.push({ resource_provider_id: id, consumer_id: crypto.randomUUID(), resource_class_id: rcIds.get(rc)!, used, created_at: NOW });
    }
    for (const t of s.traits ?? []) traitRows.push({ resource_provider_id: id, trait_id: traitIds.get(t)!, created_at: NOW });
    for (const a of s.aggs ?? []) aggLinkRows.push({ resource_provider_id: id, aggregate_id: aggIds.get(out.agg.get(a)!)!, created_at: NOW });
  }
  await insertMany(db, "inventories", invRows);
  await insertMany(db, "allocations", allocRows);
  await insertMany(db, "resource_provider_traits", traitRows);
  await insertMany(db, "resource_provider_aggregates", aggLinkRows);
  await fixSequences(db);
  return out;
}

/** PostgreSQL sequences do not follow explicit ids; move them past the rows just written. */
async function fixSequences(db: Kysely<DB>): Promise<void> {
  const dialect = db.getExecutor().adapter.constructor.name;
  if (!/Postgres/i.test(dialect)) return;
  for (const t of ["resource_providers", "placement_aggregates", "resource_classes"]) {
    await sql.raw(`SELECT setval(pg_get_serial_sequence('${t}', 'id'), (SELECT max(id) FROM ${t}))`).execute(db);
  }
}
