// A database's schema as comparable data: per table its columns, primary key, unique constraints,
// indexes and foreign keys, in the vocabulary each database uses for itself.
import { sql, type Kysely } from "kysely";
import type { Dialect } from "../../src/db/capabilities.js";
import { at, entry } from "@berth/client/common";

export interface TableShape {
  columns: { name: string; type: string; nullable: boolean; default: string | null }[];
  primaryKey: string[];
  uniques: Record<string, string[]>;
  indexes: Record<string, string[]>;
  foreignKeys: Record<string, string>;
}
export type SchemaShape = Record<string, TableShape>;

export async function introspect(db: Kysely<any>, dialect: Dialect): Promise<SchemaShape> {
  if (dialect === "sqlite") return sqlite(db);
  if (dialect === "postgres") return postgres(db);
  return mysql(db);
}

async function rows<T>(db: Kysely<any>, q: ReturnType<typeof sql>): Promise<T[]> {
  return (await q.execute(db)).rows as T[];
}

async function sqlite(db: Kysely<any>): Promise<SchemaShape> {
  const out: SchemaShape = {};
  const tables = await rows<{ name: string }>(db, sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`);
  for (const { name } of tables) {
    const cols = await rows<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>(
      db,
      sql`SELECT * FROM pragma_table_info(${name})`,
    );
    const t: TableShape = {
      columns: cols.map((c) => ({ name: c.name, type: c.type.toUpperCase(), nullable: !c.notnull, default: c.dflt_value })),
      primaryKey: cols
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      uniques: {},
      indexes: {},
      foreignKeys: {},
    };
    const idx = await rows<{ name: string; unique: number; origin: string }>(db, sql`SELECT * FROM pragma_index_list(${name})`);
    for (const i of idx) {
      if (i.origin === "pk") continue;
      const icols = (await rows<{ name: string; seqno: number }>(db, sql`SELECT * FROM pragma_index_info(${i.name})`))
        .sort((a, b) => a.seqno - b.seqno)
        .map((c) => c.name);
      // SQLite names the indexes behind UNIQUE constraints itself; key them by their columns.
      if (i.origin === "u") t.uniques[icols.join(",")] = icols;
      else t.indexes[i.name] = icols;
    }
    const fks = await rows<{ id: number; table: string; from: string; to: string }>(db, sql`SELECT * FROM pragma_foreign_key_list(${name})`);
    for (const f of fks) t.foreignKeys[f.from] = `${f.table}(${f.to})`;
    out[name] = t;
  }
  return out;
}

async function postgres(db: Kysely<any>): Promise<SchemaShape> {
  const out: SchemaShape = {};
  const cols = await rows<{
    table_name: string;
    column_name: string;
    data_type: string;
    len: number | null;
    is_nullable: string;
    column_default: string | null;
  }>(
    db,
    sql`SELECT table_name, column_name, data_type, character_maximum_length AS len, is_nullable, column_default
        FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
  );
  for (const c of cols) {
    const t = (out[c.table_name] ??= { columns: [], primaryKey: [], uniques: {}, indexes: {}, foreignKeys: {} });
    t.columns.push({
      name: c.column_name,
      type: c.len ? `${c.data_type}(${c.len})` : c.data_type,
      nullable: c.is_nullable === "YES",
      default: c.column_default,
    });
  }
  const cons = await rows<{ table: string; name: string; type: string; def: string }>(
    db,
    sql`SELECT rel.relname AS table, con.conname AS name, con.contype AS type, pg_get_constraintdef(con.oid) AS def
        FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid JOIN pg_namespace n ON n.oid = rel.relnamespace
        WHERE n.nspname = 'public'`,
  );
  const colsOf = (def: string) =>
    at(/\(([^)]*)\)/.exec(def)!, 1)
      .split(",")
      .map((s) => s.trim());
  for (const c of cons) {
    const t = entry(out, c.table);
    if (c.type === "p") t.primaryKey = colsOf(c.def);
    else if (c.type === "u") t.uniques[c.name] = colsOf(c.def);
    else if (c.type === "f") t.foreignKeys[c.name] = c.def;
  }
  const idx = await rows<{ tablename: string; indexname: string; indexdef: string }>(
    db,
    sql`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`,
  );
  for (const i of idx) {
    const t = entry(out, i.tablename);
    if (i.indexname in t.uniques || i.indexname.endsWith("_pkey") || i.indexname.endsWith("_pkc")) continue;
    t.indexes[i.indexname] = colsOf(i.indexdef.slice(i.indexdef.indexOf(" USING ")));
  }
  return out;
}

async function mysql(db: Kysely<any>): Promise<SchemaShape> {
  const out: SchemaShape = {};
  const cols = await rows<{ TABLE_NAME: string; COLUMN_NAME: string; COLUMN_TYPE: string; IS_NULLABLE: string; COLUMN_DEFAULT: string | null; EXTRA: string }>(
    db,
    sql`SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
  );
  for (const c of cols) {
    const t = (out[c.TABLE_NAME] ??= { columns: [], primaryKey: [], uniques: {}, indexes: {}, foreignKeys: {} });
    t.columns.push({
      name: c.COLUMN_NAME,
      type: `${c.COLUMN_TYPE}${c.EXTRA ? ` ${c.EXTRA}` : ""}`,
      nullable: c.IS_NULLABLE === "YES",
      default: c.COLUMN_DEFAULT,
    });
  }
  const stats = await rows<{ TABLE_NAME: string; INDEX_NAME: string; NON_UNIQUE: number; COLUMN_NAME: string; SEQ_IN_INDEX: number }>(
    db,
    sql`SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SEQ_IN_INDEX FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
  );
  const fkRows = await rows<{
    TABLE_NAME: string;
    CONSTRAINT_NAME: string;
    COLUMN_NAME: string;
    REFERENCED_TABLE_NAME: string;
    REFERENCED_COLUMN_NAME: string;
  }>(
    db,
    sql`SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL`,
  );
  const fkNames = new Set(fkRows.map((f) => `${f.TABLE_NAME}.${f.CONSTRAINT_NAME}`));
  for (const s of stats) {
    const t = entry(out, s.TABLE_NAME);
    if (s.INDEX_NAME === "PRIMARY") t.primaryKey.push(s.COLUMN_NAME);
    // InnoDB adds an index for each foreign key, named after the constraint.
    else if (fkNames.has(`${s.TABLE_NAME}.${s.INDEX_NAME}`)) continue;
    else if (s.NON_UNIQUE === 0) (t.uniques[s.INDEX_NAME] ??= []).push(s.COLUMN_NAME);
    else (t.indexes[s.INDEX_NAME] ??= []).push(s.COLUMN_NAME);
  }
  for (const f of fkRows)
    entry(out, f.TABLE_NAME).foreignKeys[f.CONSTRAINT_NAME] = `${f.COLUMN_NAME} -> ${f.REFERENCED_TABLE_NAME}(${f.REFERENCED_COLUMN_NAME})`;
  return out;
}
