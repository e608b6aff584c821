// berth resource provider inventory list|show|set|delete
import type { Command } from "commander";
import { retryOnConflict, type Inventory } from "@berth/client";
import { collect, leaf, type CliIo } from "./command.js";
import { UsageError } from "./errors.js";
import { printList, printOne, PyFloat } from "./output.js";
import { entry, first } from "@berth/client/common";

const FIELDS = ["total", "reserved", "min_unit", "max_unit", "step_size", "allocation_ratio"] as const;
// osc-placement's fields and order; `used` (the provider's usage of the class) on list and show.
const FIELDS_SHOWN = ["allocation_ratio", "min_unit", "max_unit", "reserved", "step_size", "total"] as const;
const COLUMNS = ["resource_class", ...FIELDS_SHOWN, "used"];
const SET_COLUMNS = ["resource_class", ...FIELDS_SHOWN];

/**
 * --resource CLASS=TOTAL or CLASS:FIELD=VALUE (repeat), as osc-placement: the parsed fields by class.
 */
export function parseResources(specs: readonly string[]): Record<string, Partial<Inventory>> {
  const out: Record<string, Partial<Inventory>> = {};
  for (const s of specs) {
    const m = /^([A-Z0-9_]+)(?::([a-z_]+))?=(.+)$/.exec(s);
    if (!m) throw new UsageError(`--resource must be CLASS=TOTAL or CLASS:FIELD=VALUE, got ${JSON.stringify(s)}`);
    const [, rc, field = "total", raw] = m;
    if (!(FIELDS as readonly string[]).includes(field)) throw new UsageError(`unknown inventory field ${field}: use one of ${FIELDS.join(", ")}`);
    const value = Number(raw);
    if (!Number.isFinite(value) || (field !== "allocation_ratio" && !Number.isInteger(value)))
      throw new UsageError(`${rc}:${field} must be ${field === "allocation_ratio" ? "a number" : "an integer"}, got ${raw}`);
    (out[rc!] ??= {})[field as keyof Inventory] = value;
  }
  return out;
}

/** The inventories to send: the given ones, merged over the current ones with --amend. */
export function merge(current: Record<string, Inventory>, given: Record<string, Partial<Inventory>>, amend: boolean): Record<string, Inventory> {
  const result: Record<string, Inventory> = amend ? structuredClone(current) : {};
  for (const [rc, fields] of Object.entries(given)) {
    const base = amend ? result[rc] : undefined;
    const inv = { ...base, ...fields } as Inventory;
    if (inv.total === undefined) throw new UsageError(`${rc} needs a total (${rc}=N or ${rc}:total=N)`);
    result[rc] = inv;
  }
  return result;
}

/** One class's inventory as osc-placement prints it: its fields in order (allocation_ratio a float), and `used` when known. */
const one = (inv: Partial<Inventory>, used?: number) => ({
  ...Object.fromEntries(FIELDS_SHOWN.map((f) => [f, f === "allocation_ratio" && inv[f] !== undefined ? new PyFloat(inv[f]) : inv[f]])),
  ...(used !== undefined ? { used } : {}),
});

const rows = (invs: Record<string, Inventory>, usages?: Record<string, number>) =>
  Object.entries(invs).map(([rc, inv]) => ({ resource_class: rc, ...one(inv, usages ? (usages[rc] ?? 0) : undefined) }));

export function register(rp: Command, io: CliIo): void {
  const inv = rp.command("inventory").description("inventories of a resource provider");

  leaf("list", inv, "list <uuid>", "list a provider's inventories", io, async ({ client, out }, [uuid]) => {
    const [invs, usages] = await Promise.all([client.inventories.list(uuid!), client.usages.forProvider(uuid!)]);
    printList(out, COLUMNS, rows(invs.inventories, usages.usages));
  });

  leaf("one", inv, "show <uuid> <resource_class>", "show one inventory", io, async ({ client, out }, [uuid, rc]) => {
    const [inv, usages] = await Promise.all([client.inventories.get(uuid!, rc!), client.usages.forProvider(uuid!)]);
    printOne(out, one(inv, usages.usages[rc!] ?? 0));
  });

  leaf<{ resource?: string[]; amend?: boolean; dryRun?: boolean }>(
    "list",
    inv,
    "set <uuid>",
    "replace a provider's inventories (or, with --amend, change only the given ones)",
    io,
    async ({ client, out }, [uuid], o) => {
      const given = parseResources(o.resource ?? []);
      if (o.dryRun) {
        const cur = await client.inventories.list(uuid!);
        printList(out, SET_COLUMNS, rows(merge(cur.inventories, given, Boolean(o.amend))));
        return;
      }
      const res = await client.inventories.amend(uuid!, (cur) => merge(cur, given, Boolean(o.amend)));
      printList(out, SET_COLUMNS, rows(res.inventories));
    },
    (c) =>
      c
        .option(
          "--resource <spec>",
          "CLASS=TOTAL or CLASS:FIELD=VALUE, FIELD one of total, reserved, min_unit, max_unit, step_size, allocation_ratio (repeat)",
          collect,
        )
        .option("--amend", "keep the inventories and fields not given")
        .option("--dry-run", "print the resulting inventories without setting them"),
  );

  const cls = inv.command("class").description("one class of a provider's inventory");
  leaf<Partial<Record<(typeof FIELDS)[number], string>>>(
    "one",
    cls,
    "set <uuid> <resource_class>",
    "set one class's inventory, keeping the others (fields not given take their defaults)",
    io,
    async ({ client, out }, [uuid, rc], o) => {
      const given = parseResources(FIELDS.flatMap((f) => (o[f] === undefined ? [] : [`${rc}:${f}=${o[f]}`])));
      const res = await client.inventories.amend(uuid!, (cur) => ({ ...cur, ...merge({}, given, false) }));
      printOne(out, one(entry(res.inventories, rc!)));
    },
    (c) => {
      // NOTE: osc-placement's spelling, with underscores.
      c.requiredOption("--total <total>", "total of the class");
      for (const f of FIELDS.slice(1)) c.option(`--${f} <${f}>`, f === "allocation_ratio" ? "a number" : "an integer");
    },
  );

  leaf<{ resourceClass?: string[] }>(
    "none",
    inv,
    "delete <uuid>",
    "delete one class's inventory (--resource-class), or all of them (1.5)",
    io,
    async ({ client }, [uuid], o) => {
      const classes = o.resourceClass ?? [];
      // NOTE: these deletes carry no generation, yet the provider's generation moves under them: a
      // conflict means another writer came first, and the same delete is right again.
      if (!classes.length) await retryOnConflict(() => client.inventories.deleteAll(uuid!));
      else if (classes.length === 1) await retryOnConflict(() => client.inventories.delete(uuid!, first(classes)));
      else await client.inventories.amend(uuid!, (cur) => Object.fromEntries(Object.entries(cur).filter(([rc]) => !classes.includes(rc))));
    },
    (c) => c.option("--resource-class <class>", "class to delete (repeat); all when omitted", collect),
  );
}
