// Printing results as the openstack CLI does: a table (default on a terminal), JSON or YAML.
import { stringify } from "yaml";

export type Format = "table" | "json" | "yaml";
export type Row = Record<string, unknown>;

export interface Out {
  write(s: string): void;
  format: Format;
}

const cell = (v: unknown): string =>
  v === null || v === undefined ? (v === null ? "None" : "") : typeof v === "object" ? JSON.stringify(v) : String(v);

/** An ASCII table in prettytable's style. */
export function table(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const text = rows.map((r) => r.map(cell));
  const widths = columns.map((c, i) =>
    Math.max(c.length, ...text.flatMap((r) => (r[i] ?? "").split("\n").map((l) => l.length))),
  );
  const rule = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+\n`;
  const line = (cells: readonly string[]) => {
    const parts = cells.map((c) => c.split("\n"));
    const height = Math.max(1, ...parts.map((p) => p.length));
    let s = "";
    for (let h = 0; h < height; h++) s += `| ${parts.map((p, i) => (p[h] ?? "").padEnd(widths[i]!)).join(" | ")} |\n`;
    return s;
  };
  return rule + line(columns) + rule + text.map(line).join("") + (text.length ? rule : "");
}

function serialize(format: Format, data: unknown): string {
  return format === "json" ? `${JSON.stringify(data, null, 2)}\n` : stringify(data);
}

/** A list: one row per item with these columns. */
export function printList(out: Out, columns: readonly string[], items: readonly object[]): void {
  const rows = items as readonly Row[];
  if (out.format === "table") out.write(rows.length || columns.length ? table(columns, rows.map((r) => columns.map((c) => r[c]))) : "");
  else out.write(serialize(out.format, rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])))));
}

/** One object: a Field/Value table. */
export function printOne(out: Out, item: object): void {
  const obj = item as Row;
  if (out.format === "table") out.write(table(["Field", "Value"], Object.entries(obj).map(([k, v]) => [k, v])));
  else out.write(serialize(out.format, obj));
}

/** Anything else (trees): JSON/YAML as is, or the given text for tables. */
export function printRaw(out: Out, data: unknown, text: string): void {
  out.write(out.format === "table" ? text : serialize(out.format, data));
}
