// An in-memory copy of everything the candidate search reads: every provider with its inventories,
// usage, traits and aggregates, read in one consistent read and used for as long as the database
// is unchanged, on every dialect. Whether it is unchanged is one cheap statement per request (the
// dialect's change token, snapshot-read.ts); where that token moves without a change to the
// placement tables (PostgreSQL and MariaDB: any commit on the server), or a database gives none (a
// Galera node), a digest of the tables computed in the database says so, one check shared by the
// requests waiting for it. The search over a snapshot gives the answers the database reads give,
// byte for byte (test/api/allocation-candidate-snapshot.test.ts).
import type { CandidateRequest } from "./request.js";
import { requestNames, sortByTraitId, type Names } from "./load.js";
import { rootChecks, rootOk } from "./prefilter.js";
import type { Row } from "./rows.js";
import { NoToken, type CopyReader, type DigestTable } from "./snapshot-read.js";
import { emptyWorld, SHARES_TRAIT, treeShape, type Inv, type Provider, type World } from "./world.js";
import { at, first } from "@berth/client/common";

/**
 * auto: rebuild a stale snapshot only once the database was unchanged since the previous request
 * (a deployment being written to keeps reading what each request needs, as without snapshots),
 * and for a large deployment only after more quiet requests (quietNeeded);
 * always: rebuild whenever stale (tests); never: always read the database.
 */
export type SnapshotMode = "auto" | "always" | "never";

export const SNAPSHOT_MODES: readonly SnapshotMode[] = ["auto", "always", "never"];

export interface Snapshot {
  /** The change token the copy was read at (or, since, found unchanged at: see Snapshots.check). */
  readonly token: string;
  /** The digest of the copy (CopyReader.digest), where the reader gives one. */
  readonly digest?: string;
  readonly providers: Map<number, Provider>;
  /** Root id -> every provider of the tree, in id order. */
  readonly byRoot: Map<number, Provider[]>;
  /** Root providers in id order. */
  readonly roots: readonly Provider[];
  readonly byUuid: Map<string, Provider>;
  readonly hasTrees: boolean;
  readonly classes: Map<string, number>;
  readonly traits: Map<string, number>;
  readonly aggregates: Map<string, number>;
  /** Providers with MISC_SHARES_VIA_AGGREGATE, in id order. */
  readonly sharing: readonly Provider[];
  /** Their ids (one set for every request's world, so what is kept per world set stays valid). */
  readonly sharingIds: Set<number>;
  /** Sharing provider -> roots of every provider in one of its aggregates. */
  readonly sharingAnchors: Map<number, Set<number>>;
  /** Pages of viable roots found on this snapshot, by their checks (snapshotViableRoots). */
  readonly rootPages: RootPages;
}

/** Viable-root pages kept with a snapshot, bounded: cleared when full. */
interface RootPages {
  readonly pages: Map<string, readonly number[]>;
  /** Root ids kept in all pages. */
  ids: number;
}

/** At most this many pages, and root ids in them, are kept per snapshot. */
const ROOT_PAGES = 256;
const ROOT_PAGE_IDS = 1_000_000;

/** The snapshot of one store, rebuilt as its mode says. */
export class Snapshots {
  private current?: Snapshot;
  private lastToken?: string;
  /** Requests in a row that saw the same token. */
  private quiet = 0;
  /** How long the last build took (ms). */
  private lastBuildMs = 0;
  /** The build in flight, if any (concurrent requests share it when its token is theirs). */
  private building?: Promise<Snapshot>;
  /** The database gives no change token (NoToken) nor a digest: every request reads it. */
  private unsupported = false;
  /** The database gives no change token but a digest: every request checks the digest. */
  private tokenless = false;

  constructor(
    private readonly reader: CopyReader,
    private readonly mode: SnapshotMode = "auto",
    /** Told after each rebuild how long it took (seconds): the metrics hook. */
    private readonly onBuild?: (seconds: number) => void,
  ) {}

  /** What requests spent reading the database (ms) since the last build. */
  private staleCostMs = 0;

  /** A search that read the database (no snapshot was given) took this long (ms). */
  readCost(ms: number): void {
    this.staleCostMs += ms;
  }

  /**
   * auto: rebuild once the database was quiet (quietNeeded), or once the requests that read the
   * database since the last build spent as long as that build took. NOTE: the second rule is the
   * ski-rental one: a database written to all the time (other databases on the same server move the
   * token too) rebuilds at most as often as the reads it saves pay for, never spending more than
   * twice what the better of always-read and always-rebuild would have.
   */
  private worthBuilding(): boolean {
    if (this.tokenless && this.lastBuildMs === 0) return true;
    return this.quiet >= quietNeeded(this.lastBuildMs) || (this.lastBuildMs > 0 && this.staleCostMs >= this.lastBuildMs);
  }

  /** The token of the request that began the build in flight. */
  private buildingFor?: string;

  /** The digest statement (undefined: the reader's token is exact, or the database has no row hash). */
  private digestSql?: string;
  /** Whether digestSql was asked of the reader yet. */
  private digestAsked = false;
  /** Token reads begun so far: a request may use a snapshot whose token was read after it began. */
  private reads = 0;
  /** The value of `reads` when the current snapshot's token was read. */
  private currentReadAt = 0;
  /** The digest check in flight, if any. */
  private checking?: Promise<unknown>;
  /** The change token, read for many requests at once (NextRead). */
  private readonly tokens = new NextRead(() => this.reader.token());

  /** The snapshot to answer from now, or undefined: read the database. */
  async get(): Promise<Snapshot | undefined> {
    if (this.mode === "never" || this.unsupported) return undefined;
    // NOTE: the token is read after the request began; a snapshot whose token equals it holds every
    // commit made before (the reader's contract), and so does one whose token was read later; no
    // other snapshot is ever returned.
    const began = ++this.reads;
    let token: string | undefined;
    if (!this.tokenless) {
      try {
        token = await this.tokens.get();
      } catch (e) {
        if (!(e instanceof NoToken)) throw e;
        // NOTE: the digest alone then says whether a snapshot is current: each request waits for a
        // check begun after it began (concurrent requests share one).
        await this.askDigest();
        if (this.digestSql !== undefined) this.tokenless = true;
        else if (this.digestAsked || !this.reader.digest) this.unsupported = true;
        return undefined;
      }
    }
    if (this.current && (this.current.token === token || this.currentReadAt > began)) return this.current;
    if (this.current?.digest !== undefined) {
      const same = await this.unchanged(began, token);
      if (same) return same;
    }
    // NOTE: without a token nothing tells a quiet database: only the first build and the ski-rental
    // rule apply.
    this.quiet = token !== undefined && token === this.lastToken ? this.quiet + 1 : 0;
    this.lastToken = token;
    // NOTE: a snapshot with a digest is dropped by its check when the digest differs; one whose check
    // could not be read (or that is still being checked for a later request) is kept for later ones.
    if (this.current?.digest === undefined) this.current = undefined;
    if (this.mode !== "always" && !this.worthBuilding()) return undefined;
    if (this.building) {
      // NOTE: in auto, a build begun for another token is not waited for (it may take seconds at
      // 100,000 providers, and its copy may not be this request's): read the database now.
      if (this.mode !== "always" && this.buildingFor !== token) return undefined;
      const other = await this.building.catch(() => undefined);
      if (other && (other.token === token || (this.current === other && this.currentReadAt > began))) return other;
      if (this.mode !== "always") return undefined;
    }
    await this.askDigest();
    const started = performance.now();
    const readAt = ++this.reads;
    const statements = [...COPY_STATEMENTS, ...(this.digestSql ? [this.digestSql] : [])];
    const pending = this.reader.copy(statements, !this.tokenless).then((c) => {
      const digest = this.digestSql ? String(first(at(c.rows, COPY_STATEMENTS.length))[0]) : undefined;
      return build(c.token || `digest ${digest}`, c.rows, digest);
    });
    this.building = pending;
    this.buildingFor = token;
    try {
      const snap = await pending;
      this.lastBuildMs = performance.now() - started;
      this.staleCostMs = 0;
      this.onBuild?.(this.lastBuildMs / 1000);
      // NOTE: the copy's own token is read after this request's, so the copy is at least as new.
      this.current = snap;
      this.currentReadAt = readAt;
      return snap;
    } catch {
      // NOTE: a copy that could not be read (MariaDB: a writer was in flight on its tables) leaves
      // this request to the database reads, which report a real database failure themselves.
      return undefined;
    } finally {
      if (this.building === pending) this.building = undefined;
    }
  }

  /** Asks the reader for its digest statement once (again after a failure: the database may have been down). */
  private async askDigest(): Promise<void> {
    if (!this.digestAsked && this.reader.digest) {
      await this.reader.digest(DIGESTED).then(
        (d) => {
          this.digestSql = d;
          this.digestAsked = true;
        },
        () => {},
      );
    }
  }

  /**
   * The current snapshot, if the database still holds what it copied although the token moved:
   * a new token and the digest are read in one consistent read, and an equal digest makes the
   * snapshot exact at the new token. Concurrent requests share one check; a request uses a check
   * begun after it began (or one that found its own token).
   * NOTE: a digest that differs drops the snapshot, so while the placement tables are being written
   * to at most one check per build is wasted; the rebuild then follows the auto rule.
   */
  private async unchanged(began: number, token: string | undefined): Promise<Snapshot | undefined> {
    for (let round = 0; round < 3; round++) {
      const snap = this.current;
      if (snap?.digest === undefined) return undefined;
      if (snap.token === token || this.currentReadAt > began) return snap;
      if (this.checking) {
        await this.checking;
        continue;
      }
      const readAt = ++this.reads;
      const check = this.reader.copy([this.digestSql!], !this.tokenless).then(
        (c) => {
          if (this.current !== snap) return;
          if (String(first(first(c.rows))[0]) === snap.digest) {
            this.current = { ...snap, token: c.token || snap.token };
            this.currentReadAt = readAt;
          } else this.current = undefined;
        },
        // NOTE: a check that could not be read (MariaDB: a writer in flight) changes nothing.
        () => {},
      );
      this.checking = check;
      await check;
      if (this.checking === check) this.checking = undefined;
      if (this.current === snap) return undefined;
    }
    return undefined;
  }
}

/**
 * A value each caller needs read after it began (the change token), shared by concurrent callers:
 * a read already in flight when a caller comes was sent before it began, so the caller waits for
 * the next read, sent once that one is answered (and the event loop's turn is over), together with
 * every caller that came meanwhile. NOTE: with ten clients the token was one statement per request, and its round trip
 * (the socket write, the database's wake-up) about a tenth of the CPU of a candidates request on
 * PostgreSQL; shared, a request waits at most one round trip longer.
 */
export class NextRead<T> {
  #inflight?: Promise<T>;
  #next?: Promise<T>;

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    // NOTE: the read is sent once the current turn of the event loop is done, so that the requests
    // read in the same turn share it.
    this.#next ??= (async () => {
      await this.#inflight?.then(
        () => undefined,
        () => undefined,
      );
      await new Promise((r) => setImmediate(r));
      this.#next = undefined;
      return this.#send();
    })();
    return this.#next;
  }

  #send(): Promise<T> {
    const p = this.read();
    this.#inflight = p;
    const clear = () => {
      if (this.#inflight === p) this.#inflight = undefined;
    };
    p.then(clear, clear);
    return p;
  }
}

/**
 * Quiet requests (the database unchanged since the one before) before a stale snapshot is rebuilt.
 * NOTE: a build costs about 20 ms per 1,000 providers (2 s at 100,000): one quiet request suffices
 * for a small deployment, a large one waits for a request per 10 ms the last build took, so that
 * a deployment written to now and then does not pay a rebuild after every write.
 */
export function quietNeeded(lastBuildMs: number): number {
  return Math.max(1, Math.ceil(lastBuildMs / 10));
}

/** What a copy reads, in the order build() takes the results. Plain SQL every dialect runs. */
export const COPY_STATEMENTS = [
  "SELECT id, uuid, parent_provider_id, root_provider_id FROM resource_providers ORDER BY id",
  "SELECT id, name FROM resource_classes",
  "SELECT id, name FROM traits",
  "SELECT id, uuid FROM placement_aggregates",
  "SELECT resource_provider_id, resource_class_id, total, reserved, min_unit, max_unit, step_size, allocation_ratio FROM inventories ORDER BY resource_provider_id, resource_class_id",
  "SELECT resource_provider_id, resource_class_id, sum(used) FROM allocations GROUP BY resource_provider_id, resource_class_id",
  "SELECT resource_provider_id, trait_id FROM resource_provider_traits",
  "SELECT resource_provider_id, aggregate_id FROM resource_provider_aggregates",
];

/**
 * What a copy's digest covers: every table and column COPY_STATEMENTS read, row by row (allocations
 * ungrouped: cheaper for the database, and equal rows give equal sums).
 * NOTE: a test checks that every column a copy statement reads is here.
 */
export const DIGESTED: readonly DigestTable[] = [
  { table: "resource_providers", cols: ["id", "uuid", "parent_provider_id", "root_provider_id"] },
  { table: "resource_classes", cols: ["id", "name"] },
  { table: "traits", cols: ["id", "name"] },
  { table: "placement_aggregates", cols: ["id", "uuid"] },
  { table: "inventories", cols: ["resource_provider_id", "resource_class_id", "total", "reserved", "min_unit", "max_unit", "step_size", "allocation_ratio"] },
  { table: "allocations", cols: ["resource_provider_id", "resource_class_id", "used"] },
  { table: "resource_provider_traits", cols: ["resource_provider_id", "trait_id"] },
  { table: "resource_provider_aggregates", cols: ["resource_provider_id", "aggregate_id"] },
];

const NO_AGGREGATES: Set<string> = new Set();
/** The worlds' sharing set when nothing shares (never written to). */
const NO_SHARING: Set<number> = new Set();

/** The snapshot from a copy's rows (COPY_STATEMENTS' results, in order). */
function build(token: string, copy: Row[][], digest: string | undefined): Snapshot {
  const [providerRows, classes, traits, aggregates, inventories, usageRows, providerTraits, providerAggregates] = copy as [
    Row[],
    Row[],
    Row[],
    Row[],
    Row[],
    Row[],
    Row[],
    Row[],
  ];
  const rows = { providers: providerRows, classes, traits, aggregates, inventories, usage: usageRows, providerTraits, providerAggregates };
  const classNames = new Map(rows.classes.map((r) => [r[0] as number, r[1] as string]));
  const traitNames = new Map(rows.traits.map((r) => [r[0] as number, r[1] as string]));
  const aggUuids = new Map(rows.aggregates.map((r) => [r[0] as number, r[1] as string]));
  const providers = new Map<number, Provider>();
  const byRoot = new Map<number, Provider[]>();
  const byUuid = new Map<string, Provider>();
  const roots: Provider[] = [];
  let hasTrees = false;
  for (const r of rows.providers) {
    const root = r[3] as number | null;
    // NOTE: a provider without a root id is in no tree; the database reads never load it either.
    if (root === null) continue;
    const p: Provider = {
      id: r[0] as number,
      uuid: r[1] as string,
      parentId: r[2] as number | null,
      rootId: root,
      inv: new Map(),
      traits: new Set(),
      aggs: NO_AGGREGATES,
    };
    providers.set(p.id, p);
    byUuid.set(p.uuid, p);
    if (p.parentId === null) roots.push(p);
    else hasTrees = true;
    let list = byRoot.get(root);
    if (!list) byRoot.set(root, (list = []));
    list.push(p);
  }
  const usage = new Map<string, number>();
  for (const u of rows.usage) usage.set(`${u[0]}:${u[1]}`, Number(u[2] ?? 0));
  for (const i of rows.inventories) {
    const p = providers.get(i[0] as number);
    const rc = classNames.get(i[1] as number);
    if (!p || rc === undefined) continue;
    const inv: Inv = {
      total: Number(i[2]),
      reserved: Number(i[3]),
      minUnit: Number(i[4]),
      maxUnit: Number(i[5]),
      stepSize: Number(i[6]),
      ratio: Number(i[7]),
      used: usage.get(`${i[0]}:${i[1]}`) ?? 0,
    };
    p.inv.set(rc, inv);
  }
  // NOTE: traits in trait id order, as load.ts gives them.
  for (const t of sortByTraitId(rows.providerTraits)) {
    const name = traitNames.get(t[1] as number);
    if (name !== undefined) providers.get(t[0] as number)?.traits.add(name);
  }
  const members = new Map<number, Provider[]>();
  for (const a of rows.providerAggregates) {
    const p = providers.get(a[0] as number);
    const uuid = aggUuids.get(a[1] as number);
    if (!p || uuid === undefined) continue;
    if (p.aggs === NO_AGGREGATES) (p as { aggs: Set<string> }).aggs = new Set();
    p.aggs.add(uuid);
    let list = members.get(a[1] as number);
    if (!list) members.set(a[1] as number, (list = []));
    list.push(p);
  }
  const sharing = [...providers.values()].filter((p) => p.traits.has(SHARES_TRAIT));
  const sharingAnchors = new Map<number, Set<number>>();
  if (sharing.length) {
    const aggIds = new Map([...aggUuids].map(([id, uuid]) => [uuid, id]));
    for (const s of sharing) {
      const anchors = new Set<number>();
      for (const uuid of s.aggs) for (const p of members.get(aggIds.get(uuid)!) ?? []) anchors.add(p.rootId);
      if (anchors.size) sharingAnchors.set(s.id, anchors);
    }
  }
  return {
    token,
    digest,
    providers,
    byRoot,
    roots,
    byUuid,
    hasTrees,
    classes: new Map(rows.classes.map((r) => [r[1] as string, r[0] as number])),
    traits: new Map(rows.traits.map((r) => [r[1] as string, r[0] as number])),
    aggregates: new Map(rows.aggregates.map((r) => [r[1] as string, r[0] as number])),
    sharing,
    sharingIds: new Set(sharing.map((s) => s.id)),
    sharingAnchors,
    rootPages: { pages: new Map(), ids: 0 },
  };
}

/** The ids of every name the request uses, as the database lookup gives them. */
export function snapshotNames(snap: Snapshot, req: CandidateRequest): Names {
  const wanted = requestNames(req);
  const pick = <K>(m: Map<K, number>, keys: Iterable<K>) => new Map([...keys].flatMap((k) => (m.has(k) ? [[k, m.get(k)!] as [K, number]] : [])));
  const classes = pick(snap.classes, wanted.classes);
  const traits = pick(snap.traits, wanted.traits);
  const aggregates = pick(snap.aggregates, wanted.aggregates);
  const inTreeRoots = new Map<string, number>();
  for (const u of wanted.trees) {
    const p = snap.byUuid.get(u);
    if (p) inTreeRoots.set(u, p.rootId);
  }
  const flip = <K>(m: Map<K, number>) => new Map([...m].map(([k, id]) => [id, k]));
  return { classes, traits, aggregates, inTreeRoots, classNames: flip(classes), traitNames: flip(traits), aggUuids: flip(aggregates) };
}

/** The request's world over the snapshot: every tree is already there. */
export function snapshotWorld(snap: Snapshot, names: Names, anchorRoots: Set<number> | undefined): World {
  const shares = names.traits.has(SHARES_TRAIT) && snap.sharing.length > 0;
  return emptyWorld({
    stable: true,
    providers: snap.providers,
    byRoot: snap.byRoot,
    hasTrees: snap.hasTrees,
    sharing: shares ? snap.sharingIds : NO_SHARING,
    sharingAnchors: shares ? snap.sharingAnchors : new Map(),
    anchorRoots,
    inTreeRoots: names.inTreeRoots,
  });
}

/** root_required over the snapshot. */
export function snapshotRootsWithTraits(snap: Snapshot, required: readonly string[], forbidden: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const r of snap.roots) {
    if (required.every((t) => r.traits.has(t)) && !forbidden.some((t) => r.traits.has(t))) out.add(r.id);
  }
  return out;
}

/** Some provider is in one aggregate of every any-of (the reference's member_of lookup). */
export function snapshotAnyInAggregates(snap: Snapshot, memberOf: readonly string[][]): boolean {
  for (const p of snap.providers.values()) if (memberOf.every((anyOf) => anyOf.some((a) => p.aggs.has(a)))) return true;
  return false;
}

/**
 * One page of candidate roots after `after`: the prefilter's checks (prefilter.ts), tested in
 * memory, so that pages (and so the order candidates are generated in) are the same as the
 * database reads give.
 */
export function snapshotViableRoots(
  snap: Snapshot,
  req: CandidateRequest,
  names: Names,
  world: World,
  after: number,
  limit?: number,
): { ids: number[]; uuids?: Map<number, string> } {
  const ids: number[] = [];
  const max = limit ?? Infinity;
  const checks = rootChecks(req, names, world);
  // NOTE: a page depends on the snapshot, the checks (what the request asks, resolved on this
  // snapshot), `after` and `limit` alone, so one found before is the answer. A scheduler asks the
  // same few flavors again and again: on 1,010 providers the scan was about a tenth of the CPU of
  // the perfload query. The page is shared: callers never change it.
  const key = `${after}:${limit ?? ""}:${JSON.stringify(checks, plainCollections)}`;
  const kept = snap.rootPages.pages.get(key);
  if (kept) return { ids: kept as number[] };
  let lo = 0;
  let hi = snap.roots.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at(snap.roots, mid).id <= after) lo = mid + 1;
    else hi = mid;
  }
  // NOTE: trees of one shape pass or fail alike, unless a check names a tree (in_tree).
  const byShape = checks.some((c) => "tree" in c) ? undefined : new Map<string, boolean>();
  for (let i = lo; i < snap.roots.length && ids.length < max; i++) {
    const root = at(snap.roots, i);
    let ok: boolean | undefined;
    if (byShape) {
      const shape = treeShape(snap.byRoot.get(root.id)!);
      ok = byShape.get(shape);
      if (ok === undefined) byShape.set(shape, (ok = rootOk(root, checks, world)));
    } else ok = rootOk(root, checks, world);
    if (ok) ids.push(root.id);
  }
  const cache = snap.rootPages;
  if (cache.pages.size >= ROOT_PAGES || cache.ids + ids.length > ROOT_PAGE_IDS) {
    cache.pages.clear();
    cache.ids = 0;
  }
  if (ids.length <= ROOT_PAGE_IDS) {
    cache.pages.set(key, ids);
    cache.ids += ids.length;
  }
  return { ids };
}

/** JSON.stringify's replacer for Maps and Sets (as arrays of entries and values). */
function plainCollections(_key: string, value: unknown): unknown {
  return value instanceof Map ? [...value] : value instanceof Set ? [...value] : value;
}
