// The reference's schema head (alembic 422ece571366), once: Kysely row types and a table spec that
// ddl.ts renders for each dialect.
import type { Generated } from "kysely";

export const ALEMBIC_HEAD = "422ece571366";

type Ts = string | Date | null;
interface Stamped {
  created_at: Ts;
  updated_at: Ts;
}

export interface ResourceProvidersTable extends Stamped {
  id: Generated<number>;
  uuid: string;
  name: string | null;
  generation: number | null;
  root_provider_id: number | null;
  parent_provider_id: number | null;
}
export interface ResourceClassesTable extends Stamped {
  id: Generated<number>;
  name: string;
}
export interface InventoriesTable extends Stamped {
  id: Generated<number>;
  resource_provider_id: number;
  resource_class_id: number;
  total: number;
  reserved: number;
  min_unit: number;
  max_unit: number;
  step_size: number;
  allocation_ratio: number;
}
export interface AllocationsTable extends Stamped {
  id: Generated<number>;
  resource_provider_id: number;
  consumer_id: string;
  resource_class_id: number;
  used: number;
}
export interface ResourceProviderAggregatesTable extends Stamped {
  resource_provider_id: number;
  aggregate_id: number;
}
export interface PlacementAggregatesTable extends Stamped {
  id: Generated<number>;
  uuid: string | null;
}
export interface TraitsTable extends Stamped {
  id: Generated<number>;
  name: string;
}
export interface ResourceProviderTraitsTable extends Stamped {
  trait_id: number;
  resource_provider_id: number;
}
export interface ExternalIdTable extends Stamped {
  id: Generated<number>;
  external_id: string;
}
export interface ConsumersTable extends Stamped {
  id: Generated<number>;
  uuid: string;
  project_id: number;
  user_id: number;
  generation: Generated<number>;
  consumer_type_id: number | null;
}
export interface ConsumerTypesTable extends Stamped {
  id: Generated<number>;
  name: string;
}
export interface AlembicVersionTable {
  version_num: string;
}

export interface DB {
  resource_providers: ResourceProvidersTable;
  resource_classes: ResourceClassesTable;
  inventories: InventoriesTable;
  allocations: AllocationsTable;
  resource_provider_aggregates: ResourceProviderAggregatesTable;
  placement_aggregates: PlacementAggregatesTable;
  traits: TraitsTable;
  resource_provider_traits: ResourceProviderTraitsTable;
  projects: ExternalIdTable;
  users: ExternalIdTable;
  consumers: ConsumersTable;
  consumer_types: ConsumerTypesTable;
  alembic_version: AlembicVersionTable;
}

export type ColumnType = "int" | "float" | "datetime" | `varchar(${number})`;
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  notNull?: boolean;
  autoIncrement?: boolean;
  default?: string;
}
export interface ForeignKeySpec {
  /** Only set where the reference names the constraint explicitly. */
  name?: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
}
export interface TableSpec {
  name: string;
  stamped: boolean;
  columns: ColumnSpec[];
  primaryKey: string[];
  /** Name only where the reference names it. */
  primaryKeyName?: string;
  uniques: { name: string; columns: string[] }[];
  indexes: { name: string; columns: string[] }[];
  foreignKeys: ForeignKeySpec[];
}

const id: ColumnSpec = { name: "id", type: "int", notNull: true, autoIncrement: true };
const int = (name: string, notNull = true): ColumnSpec => ({ name, type: "int", notNull });
const str = (name: string, n: number, notNull = true): ColumnSpec => ({ name, type: `varchar(${n})`, notNull });
const named = (table: string, col: string, n = 255) => ({
  name: table,
  stamped: true,
  columns: [id, str(col, n)],
  primaryKey: ["id"],
  uniques: [{ name: `uniq_${table}0${col}`, columns: [col] }],
  indexes: [],
  foreignKeys: [],
});

// NOTE: the order is creation order; foreign keys only point at tables created earlier.
// The redundant indexes (for example resource_providers_uuid_idx next to the unique constraint) are
// part of the head the reference ships, so they are here too.
export const TABLES: readonly TableSpec[] = [
  {
    name: "alembic_version",
    stamped: false,
    columns: [str("version_num", 32)],
    primaryKey: ["version_num"],
    primaryKeyName: "alembic_version_pkc",
    uniques: [],
    indexes: [],
    foreignKeys: [],
  },
  {
    name: "allocations",
    stamped: true,
    columns: [id, int("resource_provider_id"), str("consumer_id", 36), int("resource_class_id"), int("used")],
    primaryKey: ["id"],
    uniques: [],
    indexes: [
      { name: "allocations_resource_provider_class_used_idx", columns: ["resource_provider_id", "resource_class_id", "used"] },
      { name: "allocations_resource_class_id_idx", columns: ["resource_class_id"] },
      { name: "allocations_consumer_id_idx", columns: ["consumer_id"] },
    ],
    foreignKeys: [],
  },
  {
    name: "inventories",
    stamped: true,
    columns: [
      id,
      int("resource_provider_id"),
      int("resource_class_id"),
      int("total"),
      int("reserved"),
      int("min_unit"),
      int("max_unit"),
      int("step_size"),
      { name: "allocation_ratio", type: "float", notNull: true },
    ],
    primaryKey: ["id"],
    uniques: [{ name: "uniq_inventories0resource_provider_resource_class", columns: ["resource_provider_id", "resource_class_id"] }],
    indexes: [
      { name: "inventories_resource_class_id_idx", columns: ["resource_class_id"] },
      { name: "inventories_resource_provider_id_idx", columns: ["resource_provider_id"] },
      { name: "inventories_resource_provider_resource_class_idx", columns: ["resource_provider_id", "resource_class_id"] },
    ],
    foreignKeys: [],
  },
  {
    name: "placement_aggregates",
    stamped: true,
    columns: [id, str("uuid", 36, false)],
    primaryKey: ["id"],
    uniques: [{ name: "uniq_placement_aggregates0uuid", columns: ["uuid"] }],
    indexes: [{ name: "ix_placement_aggregates_uuid", columns: ["uuid"] }],
    foreignKeys: [],
  },
  {
    ...named("projects", "external_id"),
  },
  named("resource_classes", "name"),
  {
    name: "resource_provider_aggregates",
    stamped: true,
    columns: [int("resource_provider_id"), int("aggregate_id")],
    primaryKey: ["resource_provider_id", "aggregate_id"],
    uniques: [],
    indexes: [{ name: "resource_provider_aggregates_aggregate_id_idx", columns: ["aggregate_id"] }],
    foreignKeys: [],
  },
  {
    name: "resource_providers",
    stamped: true,
    columns: [id, str("uuid", 36), str("name", 200, false), int("generation", false), int("root_provider_id", false), int("parent_provider_id", false)],
    primaryKey: ["id"],
    uniques: [
      { name: "uniq_resource_providers0name", columns: ["name"] },
      { name: "uniq_resource_providers0uuid", columns: ["uuid"] },
    ],
    indexes: [
      { name: "resource_providers_name_idx", columns: ["name"] },
      { name: "resource_providers_parent_provider_id_idx", columns: ["parent_provider_id"] },
      { name: "resource_providers_root_provider_id_idx", columns: ["root_provider_id"] },
      { name: "resource_providers_uuid_idx", columns: ["uuid"] },
    ],
    foreignKeys: [
      { columns: ["parent_provider_id"], refTable: "resource_providers", refColumns: ["id"] },
      { columns: ["root_provider_id"], refTable: "resource_providers", refColumns: ["id"] },
    ],
  },
  named("traits", "name"),
  named("users", "external_id"),
  {
    name: "resource_provider_traits",
    stamped: true,
    columns: [int("trait_id"), int("resource_provider_id")],
    primaryKey: ["trait_id", "resource_provider_id"],
    uniques: [],
    indexes: [{ name: "resource_provider_traits_resource_provider_trait_idx", columns: ["resource_provider_id", "trait_id"] }],
    foreignKeys: [
      { columns: ["resource_provider_id"], refTable: "resource_providers", refColumns: ["id"] },
      { columns: ["trait_id"], refTable: "traits", refColumns: ["id"] },
    ],
  },
  named("consumer_types", "name"),
  {
    name: "consumers",
    stamped: true,
    columns: [
      id,
      str("uuid", 36),
      int("project_id"),
      int("user_id"),
      { name: "generation", type: "int", notNull: true, default: "0" },
      int("consumer_type_id", false),
    ],
    primaryKey: ["id"],
    uniques: [{ name: "uniq_consumers0uuid", columns: ["uuid"] }],
    indexes: [
      { name: "consumers_project_id_user_id_uuid_idx", columns: ["project_id", "user_id", "uuid"] },
      { name: "consumers_project_id_uuid_idx", columns: ["project_id", "uuid"] },
      { name: "consumers_consumer_type_id_idx", columns: ["consumer_type_id"] },
    ],
    foreignKeys: [{ name: "consumers_consumer_type_id_fkey", columns: ["consumer_type_id"], refTable: "consumer_types", refColumns: ["id"] }],
  },
];
