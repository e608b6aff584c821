// The faults the conformance server injects, from a spec such as
// "conflict/3,unavailable-first-get,drop/11,old-node@1.20/4,seed=7" (docs/conformance.md). Every
// decision is a function of the spec, the seed and the order of the requests: a run that sends the
// same requests meets the same faults.
import { at } from "@berth/client/common";

export type FaultKind = "conflict" | "unavailable" | "drop" | "old-node";

/** How often a fault fires: every Nth eligible request, or each with probability P (seeded). */
export type Rate = { every: number } | { probability: number };

export interface FaultSpec {
  conflict?: Rate;
  unavailable?: Rate;
  /** The first GET of each path (query left aside) answers 503. */
  unavailableFirstGet?: boolean;
  drop?: Rate;
  /** Requests above `max` answer 406 as from a server whose maximum is `max` (a lagging node behind a balancer). */
  oldNode?: { max: string; rate: Rate };
  seed: number;
}

export class FaultSpecError extends Error {}

const RATE = /^(?:\/(\d+)|~(0?\.\d+|1(?:\.0*)?))$/;

function rate(kind: string, rest: string): Rate {
  const m = RATE.exec(rest);
  if (!m) throw new FaultSpecError(`${kind}${rest}: give /N (every Nth) or ~P (probability P, 0-1)`);
  if (m[1] !== undefined) {
    const every = Number(m[1]);
    if (every < 1) throw new FaultSpecError(`${kind}${rest}: N must be at least 1`);
    return { every };
  }
  return { probability: Number(m[2]) };
}

/** Parses a fault spec; an empty spec injects nothing. */
export function parseFaults(spec: string | undefined): FaultSpec {
  const out: FaultSpec = { seed: 1 };
  for (const raw of (spec ?? "").split(/[,\s]+/).filter(Boolean)) {
    let m: RegExpExecArray | null;
    if ((m = /^seed=(\d+)$/.exec(raw))) out.seed = Number(m[1]);
    else if (raw === "unavailable-first-get") out.unavailableFirstGet = true;
    else if ((m = /^(conflict|unavailable|drop)(.*)$/.exec(raw))) out[m[1] as "conflict" | "unavailable" | "drop"] = rate(at(m, 1), at(m, 2));
    else if ((m = /^old-node@(1\.\d+)(.*)$/.exec(raw))) out.oldNode = { max: at(m, 1), rate: rate(`old-node@${m[1]}`, at(m, 2)) };
    else
      throw new FaultSpecError(
        `unknown fault ${JSON.stringify(raw)}: use conflict/N, unavailable/N, unavailable-first-get, drop/N, old-node@1.M/N (or ~P for a probability), seed=S`,
      );
  }
  return out;
}

/** The spec written back in its own syntax (for the report). */
export function describeFaults(f: FaultSpec): string {
  const r = (x: Rate) => ("every" in x ? `/${x.every}` : `~${x.probability}`);
  const parts: string[] = [];
  if (f.conflict) parts.push(`conflict${r(f.conflict)}`);
  if (f.unavailable) parts.push(`unavailable${r(f.unavailable)}`);
  if (f.unavailableFirstGet) parts.push("unavailable-first-get");
  if (f.drop) parts.push(`drop${r(f.drop)}`);
  if (f.oldNode) parts.push(`old-node@${f.oldNode.max}${r(f.oldNode.rate)}`);
  if (parts.length) parts.push(`seed=${f.seed}`);
  return parts.join(",");
}

/** mulberry32: a small seeded generator, so that probabilities repeat from run to run. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Counts eligible requests per fault and says which get it. */
export class FaultPlan {
  private readonly counts = new Map<FaultKind, number>();
  private readonly random: () => number;
  private readonly gotten = new Set<string>();
  readonly spec: FaultSpec;

  constructor(spec: FaultSpec) {
    this.spec = spec;
    this.random = generator(spec.seed);
  }

  private fires(kind: FaultKind, r: Rate | undefined): boolean {
    if (!r) return false;
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    return "every" in r ? n % r.every === 0 : this.random() < r.probability;
  }

  /** A fault in front of the server (the balancer's): a dropped connection or a 503. */
  front(method: string, path: string): "drop" | "unavailable" | undefined {
    if (this.fires("drop", this.spec.drop)) return "drop";
    if (this.spec.unavailableFirstGet && method === "GET" && !this.gotten.has(path)) {
      this.gotten.add(path);
      return "unavailable";
    }
    if (this.fires("unavailable", this.spec.unavailable)) return "unavailable";
    return undefined;
  }

  /** Whether a request above `oldNode.max` meets the lagging node. */
  oldNode(): boolean {
    return this.fires("old-node", this.spec.oldNode?.rate);
  }

  /** Whether a generation-guarded write loses a (made-up) race. */
  conflict(): boolean {
    return this.fires("conflict", this.spec.conflict);
  }
}
