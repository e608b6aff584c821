// The response body: allocation requests (list form before 1.12, dict form after, mappings from
// 1.34) and provider summaries (traits from 1.17, every class from 1.27, tree uuids from 1.29).
import type { Candidate } from "./engine.js";
import type { SearchResult } from "./search.js";
import { capacityOf, type Provider } from "./world.js";

export interface BodyOptions {
  dictForm: boolean;
  mappings: boolean;
  traits: boolean;
  allClasses: boolean;
  treeUuids: boolean;
  /** Before 1.29 on a deployment with trees. */
  oldNested: boolean;
  requestedClasses: Set<string>;
}

/**
 * The body as JSON text. NOTE: written directly rather than through JSON.stringify of objects:
 * wide trees can return 100,000 candidates, and building objects for them first costs more than
 * the search. Uuids, class names and suffixes need no escaping (their formats exclude it).
 */
export function responseBody(r: SearchResult, o: BodyOptions): string {
  const uuidOf = new Map<number, string>();
  const uuid = (id: number) => {
    let u = uuidOf.get(id);
    if (u === undefined) uuidOf.set(id, (u = JSON.stringify(r.world.providers.get(id)!.uuid)));
    return u;
  };
  const resources = (m: Map<string, number>) => `{${[...m].map(([rc, n]) => `${JSON.stringify(rc)}: ${n}`).join(", ")}}`;
  const parts: string[] = [];
  for (const c of r.candidates) {
    if (!o.dictForm) {
      const allocs = [...c.allocations].map(([p, m]) => `{"resource_provider": {"uuid": ${uuid(p)}}, "resources": ${resources(m)}}`);
      parts.push(`{"allocations": [${allocs.join(", ")}]}`);
      continue;
    }
    const allocs = [...c.allocations].map(([p, m]) => `${uuid(p)}: {"resources": ${resources(m)}}`);
    let text = `{"allocations": {${allocs.join(", ")}}`;
    if (o.mappings) {
      const maps = [...c.mappings].map(([s, ps]) => `${JSON.stringify(s)}: [${[...ps].map(uuid).sort().join(", ")}]`);
      text += `, "mappings": {${maps.join(", ")}}`;
    }
    parts.push(text + "}");
  }
  const sums: string[] = [];
  const q = (x: string | null) => (x === null ? "null" : JSON.stringify(x));
  for (const p of summaryProviders(r, o.oldNested)) {
    const res: string[] = [];
    for (const [rc, inv] of [...p.inv].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (o.allClasses || o.requestedClasses.has(rc)) res.push(`${q(rc)}: {"capacity": ${capacityOf(inv)}, "used": ${inv.used}}`);
    }
    let text = `${q(p.uuid)}: {"resources": {${res.join(", ")}}`;
    if (o.traits) text += `, "traits": [${[...p.traits].sort().map(q).join(", ")}]`;
    if (o.treeUuids) {
      const parent = p.parentId === null ? null : (r.world.providers.get(p.parentId)?.uuid ?? null);
      text += `, "parent_provider_uuid": ${q(parent)}, "root_provider_uuid": ${q(r.world.providers.get(p.rootId)?.uuid ?? null)}`;
    }
    sums.push(text + "}");
  }
  return `{"allocation_requests": [${parts.join(", ")}], "provider_summaries": {${sums.join(", ")}}}`;
}

/**
 * Every provider of the trees the returned candidates take from. Before 1.29 with trees the
 * reference keeps only providers some found candidate takes from, then those trees.
 */
function summaryProviders(r: SearchResult, oldNested: boolean): Provider[] {
  const roots = new Set<number>();
  const rootOf = (id: number) => r.world.providers.get(id)!.rootId;
  for (const c of r.candidates) for (const p of c.allocations.keys()) roots.add(rootOf(p));
  if (!oldNested) return [...roots].flatMap((root) => r.world.byRoot.get(root) ?? []);
  const used = new Set<number>();
  for (const c of r.found) for (const p of c.allocations.keys()) if (roots.has(rootOf(p))) used.add(p);
  return [...used].map((id) => r.world.providers.get(id)!);
}

export type { Candidate };
