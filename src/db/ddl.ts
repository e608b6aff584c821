// Renders the schema spec as each dialect's CREATE statements, matching what the reference's
// migrations leave behind (types, constraint names, index names).
import type { Dialect } from "./capabilities.js";
import type { ColumnSpec, ForeignKeySpec, TableSpec } from "./schema.js";

function columnType(c: ColumnSpec, d: Dialect): string {
  if (c.type === "int") {
    if (d === "postgres") return c.autoIncrement ? "SERIAL" : "INTEGER";
    if (d === "mysql") return "INT(11)";
    return "INTEGER";
  }
  if (c.type === "float") return d === "postgres" ? "DOUBLE PRECISION" : "FLOAT";
  if (c.type === "datetime") return d === "postgres" ? "TIMESTAMP WITHOUT TIME ZONE" : "DATETIME";
  return c.type.toUpperCase();
}

function column(c: ColumnSpec, d: Dialect): string {
  let s = `${q(c.name, d)} ${columnType(c, d)}`;
  if (c.default !== undefined) s += ` DEFAULT ${c.default}`;
  if (c.notNull) s += " NOT NULL";
  if (c.autoIncrement && d === "mysql") s += " AUTO_INCREMENT";
  return s;
}

function q(name: string, d: Dialect): string {
  return d === "mysql" ? `\`${name}\`` : name;
}

const stamps: ColumnSpec[] = [
  { name: "created_at", type: "datetime" },
  { name: "updated_at", type: "datetime" },
];

/** CREATE TABLE and CREATE INDEX statements for one table. */
export function createTable(t: TableSpec, d: Dialect): string[] {
  const cols = [...(t.stamped ? stamps : []), ...t.columns];
  const parts = cols.map((c) => column(c, d));
  const list = (cs: string[]) => cs.map((c) => q(c, d)).join(", ");
  parts.push(`${t.primaryKeyName ? `CONSTRAINT ${t.primaryKeyName} ` : ""}PRIMARY KEY (${list(t.primaryKey)})`);
  for (const u of t.uniques) parts.push(`CONSTRAINT ${u.name} UNIQUE (${list(u.columns)})`);
  for (const fk of t.foreignKeys) {
    // NOTE: unnamed foreign keys get each database's own default name, as in the reference.
    parts.push(`${fk.name ? `CONSTRAINT ${fk.name} ` : ""}FOREIGN KEY (${list(fk.columns)}) REFERENCES ${q(fk.refTable, d)} (${list(fk.refColumns)})`);
  }
  const suffix = d === "mysql" ? " ENGINE=InnoDB" : "";
  const out = [`CREATE TABLE ${q(t.name, d)} (\n  ${parts.join(",\n  ")}\n)${suffix}`];
  for (const i of t.indexes) out.push(createIndex(t.name, i, d));
  return out;
}

/** ALTER TABLE statements that add one nullable column with a named foreign key, as the reference's
 * batch_alter_table leaves it on each database. */
export function addReferencingColumn(table: string, c: ColumnSpec, fk: Required<ForeignKeySpec>, d: Dialect): string[] {
  const ref = `${q(fk.refTable, d)} (${fk.refColumns.map((x) => q(x, d)).join(", ")})`;
  // NOTE: SQLite cannot add a table constraint to an existing table; a column constraint is the same
  // foreign key (and SQLite does not keep foreign key names anyway).
  if (d === "sqlite") return [`ALTER TABLE ${table} ADD COLUMN ${column(c, d)} CONSTRAINT ${fk.name} REFERENCES ${ref}`];
  return [
    `ALTER TABLE ${q(table, d)} ADD COLUMN ${column(c, d)}`,
    `ALTER TABLE ${q(table, d)} ADD CONSTRAINT ${fk.name} FOREIGN KEY (${fk.columns.map((x) => q(x, d)).join(", ")}) REFERENCES ${ref}`,
  ];
}

export function createIndex(table: string, i: { name: string; columns: string[] }, d: Dialect): string {
  return `CREATE INDEX ${i.name} ON ${q(table, d)} (${i.columns.map((x) => q(x, d)).join(", ")})`;
}
