// A scheduler helper: pick hosts from allocation candidates, claim them, keep alternates; move
// allocations for migrations. Every write is a consumer-generation compare-and-swap.
import type { CandidateRequest, CandidateRequestBuilder } from "./candidates.js";
import type { PlacementClient } from "./client.js";
import { ConflictError, PlacementError } from "./errors.js";
import type { CandidateExplanation } from "./resources/allocation-candidates.js";
import { isGenerationConflict, retryOnConflict, type RetryOptions } from "./retry.js";
import { has } from "./versions.js";
import type { AllocationRequest, AllocationWrite, ConsumerAllocations, ProviderSummary, Resources } from "./types.js";
import { at, entry } from "./common/at.js";

/** Who owns the consumers being placed. */
export interface Owner {
  project_id: string;
  user_id: string;
  /** Sent when the server has 1.38 (default INSTANCE). */
  consumer_type?: string;
}

/** One place an instance can go: the allocation request to claim, and its host (root provider). */
export interface Choice {
  host: string;
  allocationRequest: AllocationRequest;
  weight: number;
}

export interface Selection {
  consumer: string;
  owner: Owner;
  chosen: Choice;
  /** Other hosts to try, best first, each with the allocation request to claim as is. */
  alternates: Choice[];
}

/** What a weigher sees: a candidate and the summaries (capacity and usage, including earlier claims). */
export interface WeighInput {
  request: AllocationRequest;
  host: string;
  summaries: Record<string, ProviderSummary>;
}
/** Higher is better. */
export type Weigher = (c: WeighInput) => number;

/**
 * The free fraction a candidate leaves on the providers it uses, averaged over the classes it
 * consumes: (capacity - used - requested) / capacity.
 */
export function freeFractionAfter(c: WeighInput): number {
  let sum = 0;
  let n = 0;
  for (const [rp, { resources }] of Object.entries(c.request.allocations)) {
    for (const [rc, amount] of Object.entries(resources)) {
      const s = c.summaries[rp]?.resources[rc];
      if (!s || s.capacity <= 0) continue;
      sum += (s.capacity - s.used - amount) / s.capacity;
      n++;
    }
  }
  return n ? sum / n : 0;
}

/** Spread: prefer the hosts left emptiest (the default, like Nova's default weighers). */
export const spreadWeigher: Weigher = (c) => freeFractionAfter(c);
/** Pack: prefer the hosts left fullest, to keep others empty. */
export const packWeigher: Weigher = (c) => -freeFractionAfter(c);

export interface SelectOptions extends Owner {
  /** Instances to place (default 1, or consumers.length). */
  count?: number;
  /** Alternates to keep per instance (default 0). */
  alternates?: number;
  weigher?: Weigher | "pack" | "spread";
  /** Consumer uuids of the instances; random ones are made when omitted. */
  consumers?: readonly string[];
  /** Times to ask for fresh candidates when every candidate failed to claim (default 3). */
  attempts?: number;
}

export class NoValidHostError extends Error {
  constructor(
    message: string,
    /**
     * Why nothing fits, when the server's candidate list was empty and the server explains
     * (Berth's GET /allocation_candidates/explain; undefined from the reference Placement).
     */
    readonly explanation?: CandidateExplanation,
  ) {
    super(explanation ? `${message}: ${explanation.summary}` : message);
    this.name = "NoValidHostError";
  }
}

type Candidate = { request: AllocationRequest; host: string };

export class Scheduler {
  readonly migration: Migrations;
  constructor(private readonly client: PlacementClient) {
    this.migration = new Migrations(client);
  }

  /**
   * Asks for candidates once, then for each instance claims the best remaining host and keeps up to
   * `alternates` others. When an instance cannot be placed, the claims already made for earlier
   * instances are kept; callers release them with `release(consumer)`.
   */
  async selectDestinations(request: CandidateRequest | CandidateRequestBuilder, opts: SelectOptions): Promise<Selection[]> {
    const consumers = opts.consumers ?? Array.from({ length: opts.count ?? 1 }, () => crypto.randomUUID());
    if (opts.count !== undefined && opts.consumers && opts.count !== opts.consumers.length) throw new TypeError("count and consumers.length differ");
    const weigher = opts.weigher === "pack" ? packWeigher : typeof opts.weigher === "function" ? opts.weigher : spreadWeigher;
    const owner: Owner = { project_id: opts.project_id, user_id: opts.user_id, consumer_type: opts.consumer_type };
    const attempts = Math.max(1, opts.attempts ?? 3);
    const out: Selection[] = [];
    let pool = await this.fetch(request);
    for (const consumer of consumers) {
      let placed: Selection | undefined;
      for (let attempt = 1; !placed; attempt++) {
        const ranked = rank(pool.candidates, pool.summaries, weigher);
        for (let i = 0; i < ranked.length && !placed; i++) {
          const choice = at(ranked, i);
          if (await this.tryClaim(consumer, choice.allocationRequest, owner)) {
            consume(pool.summaries, choice.allocationRequest);
            const alternates = rank(pool.candidates, pool.summaries, weigher)
              .filter((c) => c.host !== choice.host)
              .slice(0, opts.alternates ?? 0);
            placed = { consumer, owner, chosen: choice, alternates };
          } else {
            // Lost to another scheduler: this candidate is gone from our view.
            pool.candidates = pool.candidates.filter((c) => c.request !== choice.allocationRequest);
          }
        }
        if (placed) break;
        if (attempt >= attempts) {
          // NOTE: nothing fitted (not lost to other schedulers): ask once why, where the server can say.
          const why = pool.fetched === 0 ? await this.explain(request) : undefined;
          throw new NoValidHostError(`no host could be claimed for consumer ${consumer}`, why);
        }
        // Fresh summaries already count the claims made so far.
        pool = await this.fetch(request);
      }
      out.push(placed);
    }
    return out;
  }

  /** Claims an allocation request for a new consumer; true on success, false when it no longer fits. */
  async claim(consumer: string, request: AllocationRequest, owner: Owner): Promise<boolean> {
    return this.tryClaim(consumer, request, owner);
  }

  /**
   * After a failed build: moves the consumer's claim to the first alternate that still fits, in one
   * compare-and-swap, without asking for candidates again. Returns the new selection.
   */
  async reschedule(sel: Selection, retry?: RetryOptions): Promise<Selection> {
    for (let i = 0; i < sel.alternates.length; i++) {
      const alt = at(sel.alternates, i);
      const moved = await retryOnConflict(async () => {
        const cur = await this.client.allocations.get(sel.consumer);
        if (sameAllocations(cur.allocations, alt.allocationRequest.allocations)) return true;
        try {
          await this.client.allocations.set(sel.consumer, await this.write(alt.allocationRequest, sel.owner, cur.consumer_generation ?? null));
          return true;
        } catch (e) {
          if (e instanceof ConflictError && !e.isGenerationConflict) return false;
          throw e;
        }
      }, retry);
      if (moved) return { consumer: sel.consumer, owner: sel.owner, chosen: alt, alternates: sel.alternates.slice(i + 1) };
    }
    throw new NoValidHostError(`no alternate could be claimed for consumer ${sel.consumer}`);
  }

  /** Drops a consumer's claim (idempotent). */
  async release(consumer: string): Promise<void> {
    try {
      await this.client.allocations.delete(consumer);
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
    }
  }

  private async fetch(request: CandidateRequest | CandidateRequestBuilder) {
    const r = await this.client.allocationCandidates.list(request);
    const summaries = structuredClone(r.provider_summaries);
    const candidates: Candidate[] = r.allocation_requests.map((request) => ({ request, host: hostOf(request, summaries) }));
    return { candidates, summaries, fetched: candidates.length };
  }

  /**
   * The server's explanation of an empty candidate list, or undefined where it gives none (the
   * reference's 404, a policy's 403, any other refusal: the NoValidHostError matters, not this).
   */
  private async explain(request: CandidateRequest | CandidateRequestBuilder): Promise<CandidateExplanation | undefined> {
    try {
      return await this.client.allocationCandidates.explain(request);
    } catch (e) {
      if (e instanceof PlacementError) return undefined;
      throw e;
    }
  }

  private async tryClaim(consumer: string, request: AllocationRequest, owner: Owner): Promise<boolean> {
    try {
      await this.client.allocations.set(consumer, await this.write(request, owner, null));
      return true;
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      // A retried claim that had already succeeded meets its own consumer generation.
      if (isGenerationConflict(e)) {
        const cur = await this.client.allocations.get(consumer);
        if (sameAllocations(cur.allocations, request.allocations)) return true;
      }
      return false;
    }
  }

  private async write(request: AllocationRequest, owner: Owner, generation: number | null): Promise<AllocationWrite> {
    return allocationWrite(this.client, { allocations: request.allocations }, owner, generation, owner.consumer_type ?? "INSTANCE");
  }
}

/** Moves allocations between an instance and its migration consumer (Nova's migration uuids). */
export class Migrations {
  constructor(private readonly client: PlacementClient) {}

  /**
   * The instance's allocations (on the source) move to the migration consumer and the instance
   * claims `destination`, in one POST /allocations. Retrying after success is a no-op.
   */
  async start(instance: string, migration: string, destination: AllocationRequest, retry?: RetryOptions): Promise<void> {
    await retryOnConflict(async () => {
      const [inst, mig] = await Promise.all([this.client.allocations.get(instance), this.client.allocations.get(migration)]);
      const migHolds = !isEmpty(mig.allocations);
      if (migHolds && sameAllocations(inst.allocations, destination.allocations)) return;
      if (migHolds) throw new Error(`migration ${migration} already holds allocations`);
      if (isEmpty(inst.allocations)) throw new Error(`instance ${instance} has no allocations to move`);
      const owner = ownerOf(inst);
      await this.client.allocations.setMany({
        [migration]: await allocationWrite(this.client, { allocations: strip(inst.allocations) }, owner, mig.consumer_generation ?? null, "MIGRATION"),
        [instance]: await allocationWrite(
          this.client,
          { allocations: destination.allocations },
          owner,
          inst.consumer_generation ?? null,
          typeOr(inst.consumer_type, "INSTANCE"),
        ),
      });
    }, retry);
  }

  /** The migration succeeded: drop the source allocations held by the migration consumer. */
  async confirm(migration: string): Promise<void> {
    try {
      await this.client.allocations.delete(migration);
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
    }
  }

  /** The migration failed: the instance gets its source allocations back, the destination is freed. */
  async revert(instance: string, migration: string, retry?: RetryOptions): Promise<void> {
    await retryOnConflict(async () => {
      const [inst, mig] = await Promise.all([this.client.allocations.get(instance), this.client.allocations.get(migration)]);
      if (isEmpty(mig.allocations)) return;
      const owner = ownerOf(mig, inst);
      await this.client.allocations.setMany({
        [instance]: await allocationWrite(
          this.client,
          { allocations: strip(mig.allocations) },
          owner,
          inst.consumer_generation ?? null,
          typeOr(inst.consumer_type, "INSTANCE"),
        ),
        [migration]: await allocationWrite(this.client, { allocations: {} }, owner, mig.consumer_generation ?? null, "MIGRATION"),
      });
    }, retry);
  }
}

// consumer_type is required from 1.38 and refused before: sent exactly when the server has it.
async function allocationWrite(
  client: PlacementClient,
  a: { allocations: AllocationWrite["allocations"] },
  owner: Owner,
  generation: number | null,
  type: string,
): Promise<AllocationWrite> {
  const v = await client.versionFor({ require: ["consumerGenerations"], prefer: ["consumerTypes"] });
  return {
    allocations: a.allocations,
    project_id: owner.project_id,
    user_id: owner.user_id,
    consumer_generation: generation,
    ...(has(v, "consumerTypes") ? { consumer_type: type } : {}),
  };
}

function ownerOf(...cs: ConsumerAllocations[]): Owner {
  const c = cs.find((x) => x.project_id && x.user_id);
  if (!c) throw new Error("the consumer's project and user are unknown (the server is older than 1.12)");
  return { project_id: c.project_id!, user_id: c.user_id! };
}

// Consumers written before 1.38 read back as type "unknown", which cannot be written.
const typeOr = (t: string | undefined, fallback: string) => (t && /^[A-Z0-9_]+$/.test(t) ? t : fallback);

const isEmpty = (a: object) => Object.keys(a).length === 0;

/** Drops the provider generations GET returns, keeping only resources. */
function strip(a: ConsumerAllocations["allocations"]): AllocationWrite["allocations"] {
  return Object.fromEntries(Object.entries(a).map(([rp, v]) => [rp, { resources: { ...v.resources } }]));
}

export function sameAllocations(a: Record<string, { resources: Resources }>, b: Record<string, { resources: Resources }>): boolean {
  const norm = (x: Record<string, { resources: Resources }>) =>
    JSON.stringify(
      Object.keys(x)
        .filter((rp) => Object.values(entry(x, rp).resources).some((n) => n > 0))
        .sort()
        .map((rp) => [
          rp,
          Object.entries(entry(x, rp).resources)
            .filter(([, n]) => n > 0)
            .sort(),
        ]),
    );
  return norm(a) === norm(b);
}

/** The root that holds most of the request's resources (ties: lowest uuid). Sharing providers are not hosts. */
export function hostOf(r: AllocationRequest, summaries: Record<string, ProviderSummary>): string {
  const weight = new Map<string, number>();
  for (const [rp, { resources }] of Object.entries(r.allocations)) {
    const root = summaries[rp]?.root_provider_uuid ?? rp;
    weight.set(root, (weight.get(root) ?? 0) + Object.keys(resources).length);
  }
  return [...weight.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? "";
}

function fits(r: AllocationRequest, summaries: Record<string, ProviderSummary>): boolean {
  return Object.entries(r.allocations).every(([rp, { resources }]) =>
    Object.entries(resources).every(([rc, n]) => {
      const s = summaries[rp]?.resources[rc];
      return !s || s.used + n <= s.capacity;
    }),
  );
}

/** Counts a claim in the local summaries, so later instances are weighed against it. */
function consume(summaries: Record<string, ProviderSummary>, r: AllocationRequest): void {
  for (const [rp, { resources }] of Object.entries(r.allocations))
    for (const [rc, n] of Object.entries(resources)) {
      const s = summaries[rp]?.resources[rc];
      if (s) s.used += n;
    }
}

/** The best fitting candidate per host, best host first (ties broken by host uuid for repeatability). */
export function rank(candidates: readonly Candidate[], summaries: Record<string, ProviderSummary>, weigher: Weigher): Choice[] {
  const best = new Map<string, Choice>();
  for (const c of candidates) {
    if (!fits(c.request, summaries)) continue;
    const weight = weigher({ request: c.request, host: c.host, summaries });
    const cur = best.get(c.host);
    if (!cur || weight > cur.weight) best.set(c.host, { host: c.host, allocationRequest: c.request, weight });
  }
  return [...best.values()].sort((a, b) => b.weight - a.weight || (a.host < b.host ? -1 : 1));
}
