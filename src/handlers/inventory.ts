// Inventories of a provider: /resource_providers/{uuid}/inventories[/{resource_class}].
import type { Ctx } from "../http/context.js";
import { authorize } from "../http/auth.js";
import { readJson, requireJson, sentNumber } from "../http/body.js";
import { badRequest, conflict, ErrorCodes, escapedNotFound, HttpError, notFound } from "../http/errors.js";
import { cacheHeaders } from "../http/respond.js";
import { policies } from "../policies/index.js";
import * as schema from "../schemas/inventory.js";
import { inTransaction } from "../db/tx.js";
import { ConcurrentUpdate, NotFound } from "../objects/errors.js";
import * as inventories from "../objects/inventory.js";
import { DEFAULTS, InventoryExists, InventoryInUse, InventoryNotFound, type Inventory } from "../objects/inventory.js";
import { ResourceClassNotFound } from "../objects/resource-class.js";
import { getProvider, type ProviderRow } from "../objects/resource-provider.js";
import { at } from "@berth/client/common";

const p = policies.inventory;
const CONCURRENT = "Another thread concurrently updated the resource provider data. Please retry your update";

export async function list(ctx: Ctx): Promise<Response> {
  authorize(ctx, p.LIST);
  const rp = await providerForRead(ctx);
  const invs = await inventories.listInventories(ctx.deps.store.db, rp.id);
  // No inventory, no last-modified; one without timestamps counts as modified now.
  const now = ctx.deps.clock();
  const modified = invs.reduce<Date | null>((best, i) => {
    const m = i.modified ?? now;
    return !best || m > best ? m : best;
  }, null);
  return send(ctx, renderAll(invs, rp.generation), 200, modified);
}

export async function show(ctx: Ctx): Promise<Response> {
  authorize(ctx, p.SHOW);
  const rp = await providerForRead(ctx);
  const rc = ctx.params.resource_class!;
  const inv = (await inventories.listInventories(ctx.deps.store.db, rp.id)).find((i) => i.resourceClass === rc);
  if (!inv) throw notFound(`No inventory of class ${rc} for ${rp.uuid}`);
  return send(ctx, renderOne(inv, rp.generation), 200, inv.modified ?? ctx.deps.clock());
}

export async function create(ctx: Ctx): Promise<Response> {
  requireJson(ctx);
  authorize(ctx, p.CREATE);
  const rp = await provider(ctx);
  const body = await readJson<schema.PostInventoryBody>(ctx, schema.postInventory);
  const inv = fromFields(body.resource_class, body);
  const bad = inventories.firstOverReserved([inv], reservedCanBeTotal(ctx));
  if (bad) throw badRequest(`Unable to create inventory for resource provider ${rp.uuid}: ${capacityMessage(ctx, bad, rp)}`);
  let generation: number;
  try {
    generation = await inTransaction(ctx.deps.store, (trx) => inventories.addInventory(trx, rp, inv));
  } catch (e) {
    if (e instanceof ResourceClassNotFound) throw badRequest(`Unable to create inventory for resource provider ${rp.uuid}: ${e.message}`);
    if (e instanceof ConcurrentUpdate) throw conflict(`Update conflict: ${CONCURRENT}`, ErrorCodes.CONCURRENT_UPDATE);
    if (e instanceof InventoryExists) throw conflict(`Update conflict: ${e.message}`, ErrorCodes.CONCURRENT_UPDATE);
    throw e;
  }
  const location = new URL(`/resource_providers/${rp.uuid}/inventories/${inv.resourceClass}`, ctx.url).toString();
  return send(ctx, renderOne(inv, generation, body), 201, ctx.deps.clock(), { location });
}

export async function replaceAll(ctx: Ctx): Promise<Response> {
  requireJson(ctx);
  authorize(ctx, p.UPDATE);
  const rp = await provider(ctx);
  const body = await readJson<schema.PutInventoriesBody>(ctx, schema.putInventories);
  if (body.resource_provider_generation !== rp.generation) throw generationConflict();
  const records = Object.entries(body.inventories);
  // NOTE: keys that do not look like class names escape schema validation, as in the reference;
  // its capacity arithmetic then fails on non-numbers with a 500, which we answer alike.
  const invs = records.map(([rc, f]) => {
    checkArithmetic(f as unknown as Record<string, unknown>);
    const inv = fromFields(rc, f);
    if (inventories.firstOverReserved([inv], reservedCanBeTotal(ctx)))
      throw badRequest(`Unable to update inventory for resource provider ${rp.uuid}: ${capacityMessage(ctx, inv, rp)}`);
    return inv;
  });
  let generation: number;
  try {
    generation = await inTransaction(ctx.deps.store, (trx) => inventories.setInventories(trx, rp, invs));
  } catch (e) {
    if (e instanceof ResourceClassNotFound) throw badRequest(`Unknown resource class in inventory for resource provider ${rp.uuid}: ${e.message}`);
    if (e instanceof ConcurrentUpdate) throw conflict(`update conflict: ${CONCURRENT}`, ErrorCodes.CONCURRENT_UPDATE);
    if (e instanceof InventoryInUse) throw conflict(`update conflict: ${e.message}`, ErrorCodes.INVENTORY_INUSE);
    throw e;
  }
  const rendered = records.map(([rc, f], i) => [rc, renderFields(at(invs, i), f)] as const);
  const text = `{"resource_provider_generation": ${generation}, "inventories": {${rendered.map(([rc, t]) => `${JSON.stringify(rc)}: ${t}`).join(", ")}}}`;
  return send(ctx, text, 200, invs.length ? ctx.deps.clock() : null);
}

export async function removeAll(ctx: Ctx): Promise<Response> {
  authorize(ctx, p.DELETE);
  const rp = await provider(ctx);
  try {
    await inTransaction(ctx.deps.store, (trx) => inventories.setInventories(trx, rp, []));
  } catch (e) {
    if (e instanceof ConcurrentUpdate)
      throw conflict(
        `Unable to delete inventory for resource provider ${rp.uuid} because the inventory was updated by another process. Please retry your request.`,
        ErrorCodes.CONCURRENT_UPDATE,
      );
    if (e instanceof InventoryInUse) throw conflict(e.message, ErrorCodes.INVENTORY_INUSE);
    throw e;
  }
  return new Response(null, { status: 204 });
}

export async function update(ctx: Ctx): Promise<Response> {
  requireJson(ctx);
  authorize(ctx, p.UPDATE);
  const rp = await provider(ctx);
  const rc = ctx.params.resource_class!;
  const body = await readJson<schema.PutInventoryBody>(ctx, schema.putInventory);
  if (body.resource_provider_generation !== rp.generation) throw generationConflict();
  const inv = fromFields(rc, body);
  const bad = inventories.firstOverReserved([inv], reservedCanBeTotal(ctx));
  if (bad) throw badRequest(`Unable to update inventory for resource provider ${rp.uuid}: ${capacityMessage(ctx, bad, rp)}`);
  let generation: number;
  try {
    generation = await inTransaction(ctx.deps.store, (trx) => inventories.updateInventory(trx, rp, inv));
  } catch (e) {
    // NOTE: the reference lets an unknown class through as a plain 404.
    if (e instanceof ResourceClassNotFound) throw escapedNotFound(e.message);
    if (e instanceof InventoryNotFound) throw badRequest(`No inventory record with resource class for resource provider ${rp.uuid}: ${e.message}`);
    if (e instanceof ConcurrentUpdate) throw conflict(`update conflict: ${CONCURRENT}`, ErrorCodes.CONCURRENT_UPDATE);
    throw e;
  }
  return send(ctx, renderOne(inv, generation, body), 200, ctx.deps.clock());
}

export async function remove(ctx: Ctx): Promise<Response> {
  authorize(ctx, p.DELETE);
  const rp = await provider(ctx);
  const rc = ctx.params.resource_class!;
  try {
    await inTransaction(ctx.deps.store, (trx) => inventories.deleteInventory(trx, rp, rc));
  } catch (e) {
    // NOTE: the reference reports an in-use class with the concurrent-update code.
    if (e instanceof ConcurrentUpdate) throw conflict(`Unable to delete inventory of class ${rc}: ${CONCURRENT}`, ErrorCodes.CONCURRENT_UPDATE);
    if (e instanceof InventoryInUse) throw conflict(`Unable to delete inventory of class ${rc}: ${e.message}`, ErrorCodes.CONCURRENT_UPDATE);
    if (e instanceof NotFound) throw notFound(`No inventory of class ${rc} found for delete: ${e.message}`);
    throw e;
  }
  return new Response(null, { status: 204 });
}

/** The provider of the path, or the reference's plain 404 (which escapes its handlers). */
async function provider(ctx: Ctx): Promise<ProviderRow> {
  try {
    return await getProvider(ctx.deps.store.db, ctx.params.uuid!);
  } catch (e) {
    if (e instanceof NotFound) throw escapedNotFound(e.message);
    throw e;
  }
}

/** The GET handlers word their 404 with the message twice. */
async function providerForRead(ctx: Ctx): Promise<ProviderRow> {
  try {
    return await getProvider(ctx.deps.store.db, ctx.params.uuid!);
  } catch (e) {
    if (e instanceof NotFound) throw notFound(`No resource provider with uuid ${ctx.params.uuid} found : ${e.message}`);
    throw e;
  }
}

const generationConflict = () => conflict("resource provider generation conflict", ErrorCodes.CONCURRENT_UPDATE);
const reservedCanBeTotal = (ctx: Ctx) => ctx.version.atLeast(1, 26);

function capacityMessage(ctx: Ctx, inv: Inventory, rp: ProviderRow): string {
  const rule = reservedCanBeTotal(ctx) ? "greater than total" : "greater than or equal to total";
  return `Invalid inventory for '${inv.resourceClass}' on resource provider '${rp.uuid}'. The reserved value is ${rule}.`;
}

/** An inventory from its request fields, with the reference's defaults (also used by the reshaper). */
export function fromFields(resourceClass: string, f: schema.InventoryFields): Inventory {
  return {
    resourceClass,
    total: f.total,
    reserved: f.reserved ?? DEFAULTS.reserved,
    minUnit: f.min_unit ?? DEFAULTS.minUnit,
    maxUnit: f.max_unit ?? DEFAULTS.maxUnit,
    stepSize: f.step_size ?? DEFAULTS.stepSize,
    allocationRatio: f.allocation_ratio ?? DEFAULTS.allocationRatio,
  };
}

/** The 500 the reference gives when (total - reserved) is not arithmetic on numbers. */
function checkArithmetic(f: Record<string, unknown>): void {
  const total = f.total;
  const reserved = f.reserved ?? 0;
  const isNum = (v: unknown) => typeof v === "number" || typeof v === "boolean";
  if (!isNum(total) || !isNum(reserved)) throw new HttpError(500, `unsupported operand type(s) for -: '${pyType(total)}' and '${pyType(reserved)}'`);
  const ratio = f.allocation_ratio ?? 1.0;
  if (!isNum(ratio)) throw new HttpError(500, `unsupported operand type(s) for *: 'int' and '${pyType(ratio)}'`);
}

function pyType(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "string") return "str";
  return Array.isArray(v) ? "list" : "dict";
}

// Bodies are written by hand so that ratios print as Python floats (1.0) and the separators match.
// NOTE: a write echoes each field as the request sent it, as the reference does: `"total": 8.0`
// comes back 8.0 (stored as 8), a ratio sent as 2 comes back 2; fields not sent get the defaults.
function renderFields(inv: Inventory, sent?: schema.InventoryFields, generation?: number): string {
  const echo = (key: keyof schema.InventoryFields, value: number, plain: (n: number) => string = String) =>
    sent && typeof sent[key] === "number" ? sentNumber(sent, key, value) : plain(value);
  const gen = generation ? `, "resource_provider_generation": ${generation}` : "";
  return (
    `{"total": ${echo("total", inv.total)}, "reserved": ${echo("reserved", inv.reserved)}, "min_unit": ${echo("min_unit", inv.minUnit)}, ` +
    `"max_unit": ${echo("max_unit", inv.maxUnit)}, "step_size": ${echo("step_size", inv.stepSize)}, "allocation_ratio": ${echo("allocation_ratio", inv.allocationRatio, pyFloat)}${gen}}`
  );
}

// NOTE: the reference leaves the generation out of a single inventory when it is 0.
const renderOne = (inv: Inventory, generation: number, sent?: schema.InventoryFields) => renderFields(inv, sent, generation);

function renderAll(invs: readonly Inventory[], generation: number): string {
  const body = invs.map((i) => `${JSON.stringify(i.resourceClass)}: ${renderFields(i)}`).join(", ");
  return `{"resource_provider_generation": ${generation}, "inventories": {${body}}}`;
}

/** Python's repr of a float: shortest digits, exponent form below 1e-4 and from 1e16. */
function pyFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0";
  const [mantissa, exp] = n.toExponential().split("e") as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  const s = String(n);
  return s.includes(".") ? s : `${s}.0`;
}

/** A JSON response; from 1.15 with cache-control, and last-modified when there is a date. */
function send(ctx: Ctx, text: string, status: number, modified: Date | null, extra: Record<string, string> = {}): Response {
  return new Response(text, { status, headers: { "content-type": "application/json", ...extra, ...cacheHeaders(ctx, modified) } });
}
