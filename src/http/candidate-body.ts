// The response body: allocation requests (list form before 1.12, dict form after, mappings from
// 1.34) and provider summaries (traits from 1.17, every class from 1.27, tree uuids from 1.29).
import { Chosen, rootsOf, type Candidate } from "../objects/candidates/engine.js";
import type { SearchResult } from "../objects/candidates/search.js";
import { capacityOf, type Provider } from "../objects/candidates/world.js";
import { at, first } from "@berth/client/common";

export interface BodyOptions {
  dictForm: boolean;
  mappings: boolean;
  traits: boolean;
  allClasses: boolean;
  treeUuids: boolean;
  /** Before 1.29 on a deployment with trees. */
  oldNested: boolean;
  requestedClasses: Set<string>;
  /** False: every candidate through its maps (tests compare the two ways). */
  direct?: boolean;
}

/**
 * The body as JSON (UTF-8 bytes). NOTE: written directly rather than through JSON.stringify of objects:
 * wide trees can return 100,000 candidates, and building objects for them first costs more than
 * the search. Uuids, class names and suffixes need no escaping (their formats exclude it).
 */
export function responseBody(r: SearchResult, o: BodyOptions, buffers = new BodyBuffers()): Uint8Array<ArrayBuffer> {
  const providers = r.world.providers;
  // NOTE: a snapshot's providers outlive the request: their quoted uuids and summaries are kept
  // with it (per body variant) and copied as bytes into later answers.
  const memo = r.persistent ? memoOf(providers, o) : undefined;
  // NOTE: every name is quoted once per request; a response repeats the same few thousand strings.
  const uuidOf = memo?.uuids ?? new Map<number, string>();
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
  // NOTE: the common candidate (each slot on a provider of its own) is written straight from its
  // slots, with each slot's resources written once per request; the others through their maps.
  const slotText = new Map<Chosen["slots"][number]["amounts"], string>();
  const resourcesOfSlot = (amounts: Chosen["slots"][number]["amounts"]) => {
    let t = slotText.get(amounts);
    if (t === undefined) slotText.set(amounts, (t = resources(new Map(amounts))));
    return t;
  };
  const direct = (c: Chosen): string | undefined => {
    const { slots, providers } = c;
    const n = slots.length;
    for (let a = 0; a < n; a++) {
      if (!at(slots, a).amounts.length) continue;
      for (let b = a + 1; b < n; b++) if (providers[a] === providers[b] && at(slots, b).amounts.length) return undefined;
    }
    let text = '{"allocations": {';
    let sep = "";
    for (let k = 0; k < n; k++) {
      if (!at(slots, k).amounts.length) continue;
      text += `${sep}${uuid(at(providers, k).id)}: {"resources": ${resourcesOfSlot(at(slots, k).amounts)}}`;
      sep = ", ";
    }
    text += "}";
    if (o.mappings) {
      text += ', "mappings": {';
      sep = "";
      for (let k = 0; k < n; ) {
        const group = at(slots, k).group;
        let end = k + 1;
        while (end < n && at(slots, end).group === group) end++;
        let list: string;
        if (end - k === 1) list = uuid(at(providers, k).id);
        else {
          const ids = new Set(providers.slice(k, end).map((p) => p.id));
          list = ids.size === 1 ? uuid(at(providers, k).id) : [...ids].map(uuid).sort().join(", ");
        }
        text += `${sep}${q(group.suffix)}: [${list}]`;
        sep = ", ";
        k = end;
      }
      text += "}";
    }
    return text + "}";
  };
  const out = new BodyWriter(buffers);
  let text = '{"allocation_requests": [';
  let firstCand = true;
  for (const c of r.candidates) {
    if (text.length > FLUSH_AT) text = out.flush(text);
    text += firstCand ? "" : ", ";
    firstCand = false;
    let sep = "";
    const fast = o.dictForm && o.direct !== false && c instanceof Chosen ? direct(c) : undefined;
    if (fast !== undefined) {
      text += fast;
      continue;
    }
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
  const summary = (p: Provider) => {
    let text = `${uuid(p.id)}: {"resources": {`;
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
      // NOTE: in trait id order (the order the loaders add them), as the reference gives them.
      sep = "";
      for (const t of p.traits) {
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
    return text + "}";
  };
  if (memo && !o.oldNested) {
    // NOTE: whole trees (what the summaries list from 1.29) are kept as one piece each, with the
    // separator before it: a thousand pieces to join for nested, not ten thousand.
    for (const root of summaryRoots(r)) {
      let bytes = memo.trees.get(root);
      if (!bytes) memo.trees.set(root, (bytes = Buffer.from((r.world.byRoot.get(root) ?? []).map((p) => ", " + summary(p)).join(""))));
      if (!bytes.length) continue;
      text = out.flush(text);
      out.add(firstSum ? bytes.subarray(2) : bytes);
      firstSum = false;
    }
  } else {
    for (const p of summaryProviders(r, o.oldNested)) {
      if (text.length > FLUSH_AT) text = out.flush(text);
      text += firstSum ? "" : ", ";
      firstSum = false;
      if (!memo) {
        text += summary(p);
        continue;
      }
      let bytes = memo.summaries.get(p.id);
      if (!bytes) memo.summaries.set(p.id, (bytes = Buffer.from(summary(p))));
      text = out.flush(text);
      out.add(bytes);
    }
  }
  out.flush(text + "}}");
  return out.bytes();
}

const FLUSH_AT = 16_384;

interface Memo {
  readonly uuids: Map<number, string>;
  /** Provider id -> its summary entry as UTF-8, for one body variant. */
  readonly summaries: Map<number, Buffer>;
  /** Root id -> the entries of its whole tree, each after ", ". */
  readonly trees: Map<number, Buffer>;
}

/** Per snapshot (its providers map): quoted uuids, and summaries per body variant (a few at most). */
const memos = new WeakMap<Map<number, Provider>, { uuids: Map<number, string>; variants: Map<string, Memo> }>();
const MAX_VARIANTS = 8;

function memoOf(providers: Map<number, Provider>, o: BodyOptions): Memo {
  let m = memos.get(providers);
  if (!m) memos.set(providers, (m = { uuids: new Map(), variants: new Map() }));
  const key = `${o.allClasses ? "*" : [...o.requestedClasses].sort().join(",")}|${o.traits}|${o.treeUuids}`;
  let v = m.variants.get(key);
  if (!v) {
    if (m.variants.size >= MAX_VARIANTS) m.variants.delete(m.variants.keys().next().value!);
    m.variants.set(key, (v = { uuids: m.uuids, summaries: new Map(), trees: new Map() }));
  }
  return v;
}

/**
 * Output buffers kept from one response to the next. NOTE: a fresh buffer of megabytes per response
 * (nested: 2.6 MB) is memory that glibc hands back to the kernel when it is freed and that faults in
 * again, page by page, on the next request: hundreds of faults, milliseconds on some machines.
 * A buffer comes back with `give` only once nothing reads it any more (its response was written).
 */
export class BodyBuffers {
  private readonly free: ArrayBuffer[] = [];

  /** A buffer of at least `min` bytes: the smallest kept one that is big enough, or a new one. */
  take(min: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const n = at(this.free, i).byteLength;
      if (n >= min && (best < 0 || n < at(this.free, best).byteLength)) best = i;
    }
    if (best >= 0) return Buffer.from(first(this.free.splice(best, 1)));
    let size = MIN_BUFFER;
    while (size < min) size *= 2;
    return Buffer.allocUnsafeSlow(size); // NOTE: a buffer of its own memory, at offset 0
  }

  /** Keeps the buffer under `bytes` (a few, and none of huge bodies) for later bodies. */
  give(bytes: Uint8Array): void {
    const ab = bytes.buffer as ArrayBuffer;
    if (ab.byteLength > MAX_KEPT_BUFFER || this.free.includes(ab)) return;
    if (this.free.length >= MAX_KEPT_BUFFERS) {
      const smallest = this.free.reduce((a, b, i) => (b.byteLength < at(this.free, a).byteLength ? i : a), 0);
      if (at(this.free, smallest).byteLength >= ab.byteLength) return;
      this.free.splice(smallest, 1);
    }
    this.free.push(ab);
  }
}

const MIN_BUFFER = 65_536;
const MAX_KEPT_BUFFER = 32 * 1024 * 1024;
const MAX_KEPT_BUFFERS = 4;

/**
 * The body as UTF-8 bytes, written into one growing buffer: text in chunks of a few kilobytes and
 * kept summaries copied in. NOTE: one string of megabytes built by concatenation keeps every piece
 * alive until the end, and the young-generation collector copies them again and again.
 */
class BodyWriter {
  private buf: Buffer;
  private len = 0;

  constructor(private readonly buffers: BodyBuffers) {
    this.buf = buffers.take(MIN_BUFFER);
  }

  /** Writes `text` and returns the empty string to continue with. */
  flush(text: string): string {
    if (text.length) {
      this.room(text.length * 3); // NOTE: a UTF-16 unit is at most 3 bytes of UTF-8
      this.len += this.buf.write(text, this.len, "utf8");
    }
    return "";
  }

  add(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = this.buffers.take(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buffers.give(this.buf);
    this.buf = next;
  }

  bytes(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.buf.buffer as ArrayBuffer, 0, this.len);
  }
}

/** The roots of the trees the returned candidates take from, in the order first taken from. */
function summaryRoots(r: SearchResult): Set<number> {
  const roots = new Set<number>();
  for (const c of r.candidates) for (const root of rootsOf(c, r.world.providers)) roots.add(root);
  return roots;
}

/**
 * Every provider of the trees the returned candidates take from. Before 1.29 with trees the
 * reference keeps only providers some found candidate takes from, then those trees.
 */
function summaryProviders(r: SearchResult, oldNested: boolean): Provider[] {
  const roots = summaryRoots(r);
  const rootOf = (id: number) => r.world.providers.get(id)!.rootId;
  if (!oldNested) return [...roots].flatMap((root) => r.world.byRoot.get(root) ?? []);
  const used = new Set<number>();
  for (const c of r.found) for (const p of c.allocations.keys()) if (roots.has(rootOf(p))) used.add(p);
  return [...used].map((id) => r.world.providers.get(id)!);
}

export type { Candidate };
