// Printing results as the openstack CLI (cliff) does. Lists: table (the default), json, yaml, value,
// csv; one object: a Field/Value table, json, yaml, value, shell. -c picks columns, lists sort with
// --sort-column, tables fit --max-width (or the terminal, when stdout is one).
import { Option, type Command } from "commander";
import { Scalar, stringify } from "yaml";
import { CliError } from "./errors.js";
import { at, first, last } from "@berth/client/common";

export type Row = Record<string, unknown>;

/** The output options as commander parses them. */
export interface OutputOptions {
  format?: string;
  column?: string[];
  sortColumn?: string[];
  sortAscending?: boolean;
  sortDescending?: boolean;
  quote?: string;
  noindent?: boolean;
  maxWidth?: string;
  fitWidth?: boolean;
  printEmpty?: boolean;
  prefix?: string;
}

export interface Out {
  write(s: string): void;
  /** Warnings (an unsortable column), as cliff logs them. */
  warn(s: string): void;
  opts: OutputOptions;
  env: NodeJS.ProcessEnv;
  /** The terminal's width when stdout is a terminal. */
  columns?: number;
}

export const LIST_FORMATS = ["table", "json", "yaml", "value", "csv"] as const;
export const ONE_FORMATS = ["table", "json", "yaml", "value", "shell"] as const;
export const RAW_FORMATS = ["table", "json", "yaml"] as const;

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

function tableOptions(c: Command): void {
  c.option("--max-width <integer>", "maximum display width, <1 to disable (env CLIFF_MAX_TERM_WIDTH)")
    .option("--fit-width", "fit the table to the terminal width (implied by --max-width above 0; env CLIFF_FIT_WIDTH=1)")
    .option("--print-empty", "print an empty table when there is nothing to show");
}

/** -f and the options of cliff's list formatters. */
export function addListOptions(c: Command): void {
  c.addOption(new Option("-f, --format <format>", "the output format").choices(LIST_FORMATS).default("table"));
  c.option("-c, --column <column>", "a column to include (repeat)", collect);
  c.option("--sort-column <column>", "column(s) to sort by, first ones first; unknown ones are ignored (repeat)", collect);
  c.addOption(new Option("--sort-ascending", "sort the column(s) in ascending order").conflicts("sortDescending"));
  c.addOption(new Option("--sort-descending", "sort the column(s) in descending order"));
  c.addOption(new Option("--quote <mode>", "csv: when to quote (default nonnumeric)").choices(["all", "minimal", "none", "nonnumeric"]).default("nonnumeric"));
  c.option("--noindent", "json: no indentation");
  tableOptions(c);
}

/** -f and the options of cliff's one-object formatters. */
export function addOneOptions(c: Command): void {
  c.addOption(new Option("-f, --format <format>", "the output format").choices(ONE_FORMATS).default("table"));
  c.option("-c, --column <column>", "a field to include (repeat)", collect);
  c.option("--noindent", "json: no indentation");
  c.option("--prefix <prefix>", "shell: a prefix for the variable names", "");
  tableOptions(c);
}

/** -f for output that is neither a list nor one object (trees): table (a drawing), json or yaml. */
export function addRawOptions(c: Command): void {
  c.addOption(new Option("-f, --format <format>", "the output format").choices(RAW_FORMATS).default("table"));
  c.option("--noindent", "json: no indentation");
}

/**
 * A number the API sends as a float (allocation_ratio): printed as Python prints floats, "1.0"
 * where JSON.parse left 1. Every format knows it.
 */
export class PyFloat {
  constructor(readonly value: number) {}
  toString(): string {
    return Number.isInteger(this.value) ? this.value.toFixed(1) : String(this.value);
  }
}

// Values as Python prints them (the openstack CLI's tables and value/csv/shell output are str()).

function pyQuote(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
  return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
}

/** repr(): strings quoted, None, True, [..], {..}. */
export function pyRepr(v: unknown): string {
  if (typeof v === "string") return pyQuote(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (v instanceof PyFloat) return String(v);
  if (v !== null && typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyQuote(k)}: ${pyRepr(x)}`)
      .join(", ")}}`;
  return pyStr(v);
}

/** str(): strings as they are, everything else as repr(). Missing values print empty, as cliff's. */
export function pyStr(v: unknown): string {
  if (v === undefined) return "";
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint" || v instanceof PyFloat) return String(v);
  return pyRepr(v);
}

/** JSON as Python's json.dumps writes it: non-ASCII escaped, floats with their ".0"; indented by 2,
 * or (--noindent) on one line with ", " and ": " between items. */
export function pyJson(v: unknown, indent: boolean, depth = 0): string {
  const nl = indent ? `\n${"  ".repeat(depth + 1)}` : "";
  const end = indent ? `\n${"  ".repeat(depth)}` : "";
  const sep = indent ? "," : ", ";
  if (v instanceof PyFloat) return String(v);
  if (Array.isArray(v)) return v.length ? `[${nl}${v.map((x) => pyJson(x, indent, depth + 1)).join(sep + nl)}${end}]` : "[]";
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v);
    return entries.length
      ? `{${nl}${entries.map(([k, x]) => `${pyJson(k, indent)}: ${pyJson(x === undefined ? null : x, indent, depth + 1)}`).join(sep + nl)}${end}}`
      : "{}";
  }
  const text = JSON.stringify(v === undefined ? null : v);
  return typeof v === "string" ? text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : text;
}

const json = (out: Out, data: unknown) => `${pyJson(data, !out.opts.noindent)}\n`;

/** Floats become YAML scalars that keep their ".0". */
function yamlReady(v: unknown): unknown {
  if (v instanceof PyFloat) {
    const s = new Scalar(v.value);
    s.minFractionDigits = 1;
    return s;
  }
  if (Array.isArray(v)) return v.map(yamlReady);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, yamlReady(x)]));
  return v;
}

// NOTE: PyYAML's safe_dump sorts mapping keys and does not indent lists inside mappings.
const yaml = (data: unknown) => stringify(yamlReady(data), { sortMapEntries: true, indentSeq: false });

const isNumber = (v: unknown) => typeof v === "number" || typeof v === "bigint" || v instanceof PyFloat;
const numeric = (v: unknown) => (v instanceof PyFloat ? v.value : v);

/**
 * Wraps one line to `width` as Python's textwrap.fill (which prettytable uses): words break at
 * spaces and after hyphens, leading and trailing spaces of lines are dropped, and a word longer
 * than the width fills the rest of the line and goes on on the next.
 */
export function wrap(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  // NOTE: textwrap's rule: a hyphen splits a word only between letters ("two-letter-words"), not
  // in uuids; a word too long for a line breaks after its last hyphen that fits, if any.
  const chunks = line
    .split(/( +)|(?<=(?:[^\d\W]{2}|[^\d\W]-[^\d\W])-)(?=[^\d\W]-?[^\d\W])/)
    .filter(Boolean)
    .reverse();
  const blank = (c: string | undefined) => c !== undefined && c.trim() === "";
  const lines: string[] = [];
  while (chunks.length) {
    const cur: string[] = [];
    let len = 0;
    if (lines.length && blank(chunks[chunks.length - 1])) chunks.pop();
    while (chunks.length && len + last(chunks).length <= width) {
      const c = chunks.pop()!;
      cur.push(c);
      len += c.length;
    }
    if (chunks.length && last(chunks).length > width) {
      const long = chunks.pop()!;
      const space = width < 1 ? 1 : width - len;
      const hyphen = long.lastIndexOf("-", space - 1);
      const cut = hyphen > 0 && /[^-]/.test(long.slice(0, hyphen)) ? hyphen + 1 : space;
      cur.push(long.slice(0, cut));
      chunks.push(long.slice(cut));
    }
    if (blank(cur[cur.length - 1])) cur.pop();
    if (cur.length) lines.push(cur.join(""));
  }
  return lines;
}

/** The width to fit tables into: --max-width, CLIFF_MAX_TERM_WIDTH, or the terminal's with --fit-width or on a terminal. */
function targetWidth(out: Out): number | undefined {
  const raw = out.opts.maxWidth ?? out.env.CLIFF_MAX_TERM_WIDTH;
  if (raw !== undefined) {
    if (!/^-?\d+$/.test(raw)) throw new CliError(`--max-width must be an integer, got ${JSON.stringify(raw)}`);
    if (Number(raw) > 0) return Number(raw);
  }
  const fit = out.opts.fitWidth || /^[1-9]/.test(out.env.CLIFF_FIT_WIDTH ?? "") || out.columns !== undefined;
  return fit ? out.columns : undefined;
}

/**
 * An ASCII table in prettytable's style: numbers (by the first row) right-aligned, the rest left;
 * when wider than `maxWidth`, the wide columns shrink (not below `minWidth`) and their cells wrap.
 */
export function table(
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  o: { maxWidth?: number; minWidth?: number; printEmpty?: boolean } = {},
): string {
  if (!rows.length && !o.printEmpty) return "\n";
  const right = columns.map((_c, i) => rows.length > 0 && isNumber(first(rows)[i]));
  const text = rows.map((r) => columns.map((_c, i) => pyStr(r[i]).replace(/\r\n/g, "\n").replace(/\r/g, " ")));
  const longest = (s: string) => Math.max(...s.split("\n").map((l) => l.length));
  const heads = columns.map(longest);
  const contents = columns.map((_c, i) => Math.max(0, ...text.map((r) => longest(at(r, i)))));
  let widths = columns.map((_c, i) => Math.max(at(heads, i), at(contents, i)));
  const total = widths.reduce((a, w) => a + w + 3, 1);
  if (o.maxWidth !== undefined && total > o.maxWidth) {
    // As cliff: columns narrower than an equal share keep their width, the others share what is
    // left (not below minWidth); as prettytable: a column is never narrower than its header.
    const usable = Math.max(0, o.maxWidth - 1 - 3 * columns.length);
    const share = Math.floor(usable / columns.length);
    const shrink = widths.map((w, i) => (w > share ? i : -1)).filter((i) => i >= 0);
    let left = usable - widths.reduce((a, w) => (w <= share ? a + w : a), 0);
    const each = Math.floor(left / shrink.length);
    const caps: (number | undefined)[] = columns.map(() => undefined);
    shrink.forEach((i, k) => {
      if (k < shrink.length - 1) {
        caps[i] = Math.max(o.minWidth ?? 0, each);
        left -= each;
      } else caps[i] = Math.max(o.minWidth ?? 0, left);
    });
    widths = widths.map((w, i) => {
      const cap = caps[i];
      return cap === undefined ? w : Math.max(at(heads, i), Math.min(at(contents, i), cap));
    });
  }
  const cellLines = (s: string, i: number) => s.split("\n").flatMap((l) => wrap(l, at(widths, i)));
  const rule = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+\n`;
  const line = (cells: readonly string[], wrapped: boolean) => {
    const parts = cells.map((c, i) => (wrapped ? cellLines(c, i) : c.split("\n")));
    const height = Math.max(1, ...parts.map((p) => p.length));
    let s = "";
    for (let h = 0; h < height; h++)
      s += `| ${parts.map((p, i) => (right[i] ? (p[h] ?? "").padStart(at(widths, i)) : (p[h] ?? "").padEnd(at(widths, i)))).join(" | ")} |\n`;
    return s;
  };
  return rule + line(columns, false) + rule + text.map((r) => line(r, true)).join("") + rule;
}

/** The columns -c keeps, in the command's order; none recognized is an error, as in cliff. */
function selectColumns(out: Out, columns: readonly string[]): string[] {
  const wanted = out.opts.column;
  if (!wanted?.length) return [...columns];
  const kept = columns.filter((c) => wanted.includes(c));
  if (!kept.length)
    throw new CliError(
      `No recognized column names in ${pyRepr(wanted)}. Recognized columns are (${columns.map(pyRepr).join(", ")}${columns.length === 1 ? "," : ""}).`,
    );
  return kept;
}

/** --sort-column (first ones first), ascending unless --sort-descending; missing values last. */
function sortRows(out: Out, columns: readonly string[], rows: unknown[][]): unknown[][] {
  const by = (out.opts.sortColumn ?? []).filter((c) => columns.includes(c));
  const desc = Boolean(out.opts.sortDescending);
  let sorted = rows;
  for (const c of [...by].reverse()) {
    const i = columns.indexOf(c);
    const present = sorted.map((r) => r[i]).filter((v) => v !== null && v !== undefined);
    const kind = present.every(isNumber) ? "number" : present.every((v) => typeof v === "string") ? "string" : undefined;
    if (!kind) {
      out.warn(`Could not sort on field '${c}'; unsortable types`);
      continue;
    }
    const key = (v: unknown) => v === null || v === undefined;
    sorted = [...sorted].sort((a, b) => {
      const [x, y] = [numeric(a[i]), numeric(b[i])];
      const cmp = key(x) !== key(y) ? (key(x) ? 1 : -1) : key(x) ? 0 : x! < y! ? -1 : x! > y! ? 1 : 0;
      return desc ? -cmp : cmp;
    });
  }
  return sorted;
}

const CSV_SPECIAL = /[",\r\n]/;

function csvField(v: unknown, mode: string): string {
  const s = v === null || v === undefined ? "" : pyStr(v);
  const quoted = mode === "all" || (mode === "nonnumeric" && !isNumber(v) && typeof v !== "boolean") || (mode === "minimal" && CSV_SPECIAL.test(s));
  if (quoted) return `"${s.replace(/"/g, '""')}"`;
  return mode === "none" ? s.replace(/([\\",\r\n])/g, "\\$1") : s;
}

/** A list: one row per item with these columns. */
export function printList(out: Out, columns: readonly string[], items: readonly object[]): void {
  const rows = sortRows(
    out,
    columns,
    (items as readonly Row[]).map((r) => columns.map((c) => r[c])),
  );
  const shown = selectColumns(out, columns);
  const picked = rows.map((r) => shown.map((c) => r[columns.indexOf(c)]));
  switch (out.opts.format ?? "table") {
    case "json":
      return out.write(
        json(
          out,
          picked.map((r) => Object.fromEntries(shown.map((c, i) => [c, r[i] === undefined ? "" : r[i]]))),
        ),
      );
    case "yaml":
      return out.write(yaml(picked.map((r) => Object.fromEntries(shown.map((c, i) => [c, r[i] === undefined ? "" : r[i]])))));
    case "value":
      return out.write(picked.map((r) => `${r.map(pyStr).join(" ")}\n`).join(""));
    case "csv": {
      const mode = out.opts.quote ?? "nonnumeric";
      return out.write([shown, ...picked].map((r) => `${r.map((v) => csvField(v, mode)).join(",")}\n`).join(""));
    }
    default:
      return out.write(table(shown, picked, { maxWidth: targetWidth(out), minWidth: 8, printEmpty: out.opts.printEmpty }));
  }
}

/** One object: a Field/Value table, or its fields. */
export function printOne(out: Out, item: object): void {
  const all = Object.keys(item);
  const shown = selectColumns(out, all);
  const values = shown.map((k) => (item as Row)[k]);
  switch (out.opts.format ?? "table") {
    case "json":
      return out.write(json(out, Object.fromEntries(shown.map((k, i) => [k, values[i] === undefined ? "" : values[i]]))));
    case "yaml":
      // NOTE: cliff dumps each field on its own, so the fields keep the command's order.
      return out.write(shown.map((k, i) => yaml({ [k]: values[i] === undefined ? "" : values[i] })).join(""));
    case "value":
      return out.write(values.map((v) => `${pyStr(v)}\n`).join(""));
    case "shell":
      return out.write(
        shown
          .map((k, i) => {
            const v = values[i];
            const name = k.toLowerCase().replace(/ /g, "_").replace(/[:-]/g, "_");
            return `${out.opts.prefix ?? ""}${name}="${typeof v === "string" ? v.replace(/"/g, '\\"') : pyStr(v)}"\n`;
          })
          .join(""),
      );
    default: {
      // Field/Value tables align everything left.
      const rows = shown.map((k, i) => [k, typeof values[i] === "string" ? values[i] : pyStr(values[i])]);
      return out.write(table(["Field", "Value"], rows, { maxWidth: targetWidth(out), minWidth: 16 }));
    }
  }
}

/** Anything else (trees): JSON/YAML as is, or the given text for tables. */
export function printRaw(out: Out, data: unknown, text: string): void {
  const f = out.opts.format ?? "table";
  out.write(f === "table" ? text : f === "json" ? json(out, data) : yaml(data));
}
