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
 * The body as JSON (UTF-8 bytes). NOTE: written directly rather than through JSON.stringify of objects:
 * wide trees can return 100,000 candidates, and building objects for them first costs more than
 * the search. Uuids, class names and suffixes need no escaping (their formats exclude it).
 */
export function responseBody(r: SearchResult, o: BodyOptions): Uint8Array<ArrayBuffer> {
  const providers = r.world.providers;
  // NOTE: every name is quoted once per request; a response repeats the same few thousand strings.
  const uuidOf = new Map<number, string>();
  const uuid = (id: number) => {
    let u = uuidOf.get(id);
    if (u === undefined) uuidOf.set(id, (u = `"${providers.get(id)!.uuid}"`));
    return u;
  };
  const quoted = new Map<string, string>();
  const q = (x: string) => {
    let s = quoted.get(x);
    if (s === undefined) quoted.set(x, (s = JSON.stringify(x)));
    return s;
  };
  const resources = (m: Map<string, number>) => {
    let text = "{";
    let first = true;
    for (const [rc, n] of m) {
      text += first ? `${q(rc)}: ${n}` : `, ${q(rc)}: ${n}`;
      first = false;
    }
    return text + "}";
  };
  const out = new BodyWriter();
  let text = '{"allocation_requests": [';
  let firstCand = true;
  for (const c of r.candidates) {
    if (text.length > FLUSH_AT) text = out.flush(text);
    text += firstCand ? "" : ", ";
    firstCand = false;
    let sep = "";
    if (!o.dictForm) {
      text += '{"allocations": [';
      for (const [p, m] of c.allocations) {
        text += `${sep}{"resource_provider": {"uuid": ${uuid(p)}}, "resources": ${resources(m)}}`;
        sep = ", ";
      }
      text += "]}";
      continue;
    }
    text += '{"allocations": {';
    for (const [p, m] of c.allocations) {
      text += `${sep}${uuid(p)}: {"resources": ${resources(m)}}`;
      sep = ", ";
    }
    text += "}";
    if (o.mappings) {
      text += ', "mappings": {';
      sep = "";
      for (const [s, ps] of c.mappings) {
        const list = ps.size === 1 ? uuid(ps.values().next().value!) : [...ps].map(uuid).sort().join(", ");
        text += `${sep}${q(s)}: [${list}]`;
        sep = ", ";
      }
      text += "}";
    }
    text += "}";
  }
  text += '], "provider_summaries": {';
  let firstSum = true;
  for (const p of summaryProviders(r, o.oldNested)) {
    if (text.length > FLUSH_AT) text = out.flush(text);
    text += firstSum ? "" : ", ";
    firstSum = false;
    text += `${uuid(p.id)}: {"resources": {`;
    const inv = p.inv.size > 1 ? [...p.inv].sort(([a], [b]) => (a < b ? -1 : 1)) : p.inv;
    let sep = "";
    for (const [rc, i] of inv) {
      if (!o.allClasses && !o.requestedClasses.has(rc)) continue;
      text += `${sep}${q(rc)}: {"capacity": ${capacityOf(i)}, "used": ${i.used}}`;
      sep = ", ";
    }
    text += "}";
    if (o.traits) {
      text += ', "traits": [';
      const traits = p.traits.size > 1 ? [...p.traits].sort() : p.traits;
      sep = "";
      for (const t of traits) {
        text += sep + q(t);
        sep = ", ";
      }
      text += "]";
    }
    if (o.treeUuids) {
      const parent = p.parentId === null ? undefined : providers.get(p.parentId);
      const root = providers.get(p.rootId);
      text += `, "parent_provider_uuid": ${parent ? uuid(parent.id) : "null"}, "root_provider_uuid": ${root ? uuid(root.id) : "null"}`;
    }
    text += "}";
  }
  out.flush(text + "}}");
  return out.bytes();
}

const FLUSH_AT = 16_384;

/**
 * The body as UTF-8 bytes, written a few kilobytes at a time into one growing buffer. NOTE: one
 * string of megabytes built by concatenation keeps every piece alive until the end, and the
 * young-generation collector copies them again and again; short-lived chunks cost a fraction.
 */
class BodyWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private len = 0;

  /** Writes `text` and returns the empty string to continue with. */
  flush(text: string): string {
    const need = this.len + text.length * 3;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    this.len += this.buf.write(text, this.len, "utf8");
    return "";
  }

  bytes(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.buf.buffer as ArrayBuffer, this.buf.byteOffset, this.len);
  }
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
