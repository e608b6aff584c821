// Canonical forms of GET /allocation_candidates answers, so two answers compare as multisets with
// provider uuids replaced by the seed's provider names.
import type { Seeded } from "../test/helpers/seed-candidates.js";

export function subst(q: string, s: Seeded): string {
  return q.replace(/\$(agg|rp):([\w-]+)/g, (_, kind: string, label: string) => (kind === "agg" ? s.agg.get(label) ?? label : s.uuid.get(label) ?? label));
}

export function deepSort(x: any): any {
  if (Array.isArray(x)) return x.map(deepSort);
  if (x && typeof x === "object") return Object.fromEntries(Object.keys(x).sort().map((k) => [k, deepSort(x[k])]));
  return x;
}

export function normalize(body: any, s: Seeded): unknown {
  return deepSort(normalizeRaw(body, s));
}

export function normalizeRaw(body: any, s: Seeded): unknown {
  if (!body || !body.allocation_requests) return body;
  const nm = (u: string) => s.name.get(u) ?? u;
  const reqs = body.allocation_requests.map((r: any) => {
    const allocs = Array.isArray(r.allocations)
      ? Object.fromEntries(r.allocations.map((a: any) => [nm(a.resource_provider.uuid), a.resources]))
      : Object.fromEntries(Object.entries(r.allocations).map(([u, a]: [string, any]) => [nm(u), a.resources]));
    const sortedAllocs = Object.fromEntries(Object.entries(allocs).sort(([a], [b]) => (a < b ? -1 : 1)));
    const m = r.mappings
      ? Object.fromEntries(Object.entries(r.mappings).map(([k, v]: [string, any]) => [k, v.map(nm).sort()]).sort(([a], [b]) => (a < b ? -1 : 1)))
      : undefined;
    return JSON.stringify(deepSort({ a: sortedAllocs, m }));
  });
  reqs.sort();
  const sums = Object.fromEntries(
    Object.entries(body.provider_summaries)
      .map(([u, v]: [string, any]) => [
        nm(u),
        {
          ...v,
          traits: v.traits ? [...v.traits].sort() : undefined,
          parent_provider_uuid: v.parent_provider_uuid === undefined ? undefined : v.parent_provider_uuid && nm(v.parent_provider_uuid),
          root_provider_uuid: v.root_provider_uuid === undefined ? undefined : nm(v.root_provider_uuid),
        },
      ])
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return { count: reqs.length, reqs, sums };
}

export function errorView(b: any) {
  const e = b?.errors?.[0];
  return e ? { detail: e.detail, code: e.code } : b;
}

