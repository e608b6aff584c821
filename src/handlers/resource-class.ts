// Resource classes: /resource_classes[/{name}] (from 1.2).
import type { Ctx } from "../http/context.js";
import { authorize } from "../http/auth.js";
import { readJson, requireJson } from "../http/body.js";
import { badRequest, conflict, escapedNotFound } from "../http/errors.js";
import { json, latest } from "../http/respond.js";
import { explain } from "../http/validate.js";
import { policies } from "../policies/index.js";
import * as schema from "../schemas/resource-class.js";
import { inTransaction } from "../db/tx.js";
import * as classes from "../objects/resource-class.js";
import {
  ResourceClassExists,
  ResourceClassInUse,
  ResourceClassNotFound,
  StandardResourceClass,
  TooManyRetries,
  type ResourceClass,
} from "../objects/resource-class.js";

const p = policies.resourceClass;

const link = (name: string) => [{ rel: "self", href: `/resource_classes/${name}` }];
const render = (rc: ResourceClass) => ({ name: rc.name, links: link(rc.name) });
const location = (ctx: Ctx, name: string) => new URL(`/resource_classes/${name}`, ctx.url).toString();

export async function list(ctx: Ctx): Promise<Response> {
  authorize(ctx, p.LIST);
  const all = await classes.listResourceClasses(ctx.deps.store.db);
  // A class without timestamps counts as modified now, as in the reference.
  const now = ctx.deps.clock();
  return json(
    ctx,
    { resource_classes: all.map(render) },
    {
      lastModified: latest(
        ctx,
        all.map((rc) => rc.modified ?? now),
      ),
    },
  );
}

export async function show(ctx: Ctx): Promise<Response> {
  authorize(ctx, p.SHOW);
  const rc = await get(ctx, ctx.params.name!);
  return json(ctx, render(rc), { lastModified: rc.modified ?? ctx.deps.clock() });
}

export async function create(ctx: Ctx): Promise<Response> {
  requireJson(ctx);
  authorize(ctx, p.CREATE);
  const { name } = await readJson<schema.ResourceClassBody>(ctx, schema.resourceClassName);
  try {
    await classes.createResourceClass(ctx.deps.store, name);
  } catch (e) {
    if (e instanceof ResourceClassExists) throw conflict(`Conflicting resource class already exists: ${name}`);
    if (e instanceof TooManyRetries) throw conflict(`Max retries of DB transaction exceeded attempting to create resource class: ${name}, please try again.`);
    throw e;
  }
  return new Response(null, { status: 201, headers: { location: location(ctx, name) } });
}

/** 1.2-1.6 rename a custom class; from 1.7 PUT creates the class named in the path, or finds it. */
export async function update(ctx: Ctx): Promise<Response> {
  return ctx.version.atLeast(1, 7) ? ensure(ctx) : rename(ctx);
}

async function rename(ctx: Ctx): Promise<Response> {
  requireJson(ctx);
  const name = ctx.params.name!;
  authorize(ctx, p.UPDATE);
  const body = await readJson<schema.ResourceClassBody>(ctx, schema.resourceClassName);
  const rc = await get(ctx, name);
  let renamed: ResourceClass;
  try {
    renamed = await inTransaction(ctx.deps.store, (trx) => classes.renameResourceClass(trx, rc, body.name));
  } catch (e) {
    if (e instanceof StandardResourceClass) throw badRequest(`Cannot update standard resource class ${name}`);
    if (e instanceof ResourceClassExists) throw conflict(`Resource class already exists: ${body.name}`);
    throw e;
  }
  return json(ctx, render(renamed));
}

async function ensure(ctx: Ctx): Promise<Response> {
  const name = ctx.params.name!;
  authorize(ctx, p.UPDATE);
  checkPathName(name);
  let status = 204;
  if ((await classes.findResourceClassId(ctx.deps.store.db, name)) === undefined) {
    try {
      await classes.createResourceClass(ctx.deps.store, name);
      status = 201;
    } catch (e) {
      // Someone else created it just now: it exists, which is all this request asks for.
      if (!(e instanceof ResourceClassExists)) throw e;
    }
  }
  return new Response(null, { status, headers: { location: location(ctx, name) } });
}

export async function remove(ctx: Ctx): Promise<Response> {
  const name = ctx.params.name!;
  authorize(ctx, p.DELETE);
  const rc = await get(ctx, name);
  try {
    await inTransaction(ctx.deps.store, (trx) => classes.deleteResourceClass(trx, rc));
  } catch (e) {
    if (e instanceof StandardResourceClass) throw badRequest(`Error in delete resource class: ${e.message}`);
    if (e instanceof ResourceClassInUse) throw conflict(`Error in delete resource class: ${e.message}`);
    if (e instanceof ResourceClassNotFound) {
      // Deleted by someone else since it was read: the reference's bare not-found.
      throw escapedNotFound("Resource could not be found.");
    }
    throw e;
  }
  return new Response(null, { status: 204 });
}

/** The class of the path; its 404 escapes the reference's handlers, so it is answered without `vary`. */
async function get(ctx: Ctx, name: string): Promise<ResourceClass> {
  try {
    return await classes.getResourceClass(ctx.deps.store.db, name);
  } catch (e) {
    if (e instanceof ResourceClassNotFound) {
      throw escapedNotFound(e.message);
    }
    throw e;
  }
}

/**
 * From 1.7 the reference validates the path name by splicing it into a JSON document
 * (`{"name": "<name>"}`) and checking that against the body schema; the same text gives the same
 * answers here, including the Malformed JSON one for a name with a quote in it.
 */
function checkPathName(name: string): void {
  const text = `{"name": "${name}"}`;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw badRequest(`Malformed JSON: ${pythonJsonError(text)}`);
  }
  const problem = explain(schema.resourceClassName, data);
  if (problem) throw badRequest(`JSON does not validate: ${problem}`);
}

/** Python's json wording for the ways a spliced name breaks the document. */
function pythonJsonError(text: string): string {
  const at = (pos: number, what: string) => `${what}: line 1 column ${pos + 1} (char ${pos})`;
  const ws = (i: number) => {
    while (i < text.length && " \t\n\r".includes(text.charAt(i))) i++;
    return i;
  };
  // Scans the string whose opening quote is at `open`: the index after its closing quote, or an error.
  const scan = (open: number): number | string => {
    for (let i = open + 1; i < text.length; i++) {
      const ch = text.charAt(i);
      if (ch === '"') return i + 1;
      if (ch < " ") return at(i, "Invalid control character at");
      if (ch !== "\\") continue;
      const next = text[i + 1];
      if (next === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return at(i + 1, "Invalid \\uXXXX escape");
        i += 5;
      } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i++;
      else return at(i, "Invalid \\escape");
    }
    return at(open, "Unterminated string starting at");
  };
  const value = scan(9); // the name's opening quote
  if (typeof value === "string") return value;
  let j = ws(value);
  if (text[j] === "}") return at(ws(j + 1), "Extra data");
  if (text[j] !== ",") return at(j, "Expecting ',' delimiter");
  j = ws(j + 1);
  if (text[j] !== '"') return at(j, "Expecting property name enclosed in double quotes");
  const key = scan(j);
  if (typeof key === "string") return key;
  j = ws(key);
  if (text[j] !== ":") return at(j, "Expecting ':' delimiter");
  return at(ws(j + 1), "Expecting value");
}
