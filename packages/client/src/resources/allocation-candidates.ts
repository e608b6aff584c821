// GET /allocation_candidates: where a request fits, as allocation requests plus provider summaries;
// and Berth's GET /allocation_candidates/explain: why it fits or not (docs/explain.md). A server
// without the explanation (the reference Placement) answers 404: NotFoundError.
import { encodeCandidateRequest, type CandidateRequest, type CandidateRequestBuilder } from "../candidates.js";
import type { CallOptions, Transport } from "../transport.js";
import type { Feature } from "../versions.js";
import type { AllocationCandidates as Reply } from "../types.js";

// Richer summaries, trees and mappings: used whenever the server has them.
// NOTE: explain() is sent at the version list() is, so that it explains the answer list() gets.
const PREFER: Feature[] = ["candidatesRequired", "summariesAllResources", "nestedCandidates", "allocationMappings", "errorCodes"];

export type ExplainConstraint =
  | "requests_nothing"
  | "resource_class"
  | "capacity"
  | "units"
  | "required_traits"
  | "forbidden_traits"
  | "member_of"
  | "forbidden_aggregates"
  | "in_tree"
  | "sharing_providers"
  | "root_required"
  | "group_alone"
  | "every_group"
  | "groups_together"
  | "group_policy"
  | "same_subtree";

/** One constraint of a funnel and what is left after it (and every one before it). */
export interface ExplainStep {
  constraint: ExplainConstraint;
  resource_class?: string;
  amount?: number;
  traits?: string[];
  forbidden?: string[];
  aggregates?: string[];
  tree?: string;
  groups?: string[];
  /** Absent on steps judged per tree. */
  providers?: number;
  trees: number;
  sharing_providers?: number;
  undecided?: number;
}

export interface ExplainGroup {
  suffix: string;
  separate_providers: boolean;
  resources: Record<string, number>;
  required: string[][];
  forbidden: string[];
  member_of: string[][];
  forbidden_aggregates: string[];
  in_tree: string | null;
  steps: ExplainStep[];
}

export interface NamedProvider {
  uuid: string;
  name: string | null;
}

export interface ExplainFailure {
  constraint: ExplainConstraint;
  group?: string;
  provider?: NamedProvider;
  resource_class?: string;
  asks?: number;
  free?: number;
  total?: number;
  reserved?: number;
  allocation_ratio?: number;
  used?: number;
  min_unit?: number;
  max_unit?: number;
  step_size?: number;
  traits?: string[];
  aggregates?: string[];
  tree?: string;
  groups?: string[];
  /** "compute-17: VCPU asks 8, free 6 = (32 - 2) x 1.0 - 24 used" */
  message: string;
}

export interface NearMiss {
  root: NamedProvider;
  fails: number;
  failed: ExplainFailure[];
  message: string;
}

/** Berth's explanation document, version 1.0 (docs/explain.md, docs/explain.schema.json). */
export interface CandidateExplanation {
  explain_version: string;
  microversion: string;
  source: "snapshot" | "database";
  fits: boolean;
  /** Candidates the list returns for the same query (after limit). */
  candidates: number;
  truncated: boolean;
  /** One line for people. */
  summary: string;
  providers: number;
  trees: number;
  groups: ExplainGroup[];
  together: ExplainStep[];
  trees_with_candidates: number;
  near_misses: NearMiss[];
}

export class AllocationCandidates {
  constructor(private readonly t: Transport) {}

  async list(request: CandidateRequest | CandidateRequestBuilder, call?: CallOptions): Promise<Reply & { version: string }> {
    const spec = "build" in request ? request.build() : request;
    const { query, require } = encodeCandidateRequest(spec);
    const r = await this.t.request<Reply>({ method: "GET", path: "/allocation_candidates", query, require, prefer: PREFER }, call);
    return { ...r.body, version: r.version };
  }

  /** Why the same request fits or not (Berth only: NotFoundError from a server without it). */
  async explain(request: CandidateRequest | CandidateRequestBuilder, call?: CallOptions): Promise<CandidateExplanation> {
    const spec = "build" in request ? request.build() : request;
    const { query, require } = encodeCandidateRequest(spec);
    const r = await this.t.request<CandidateExplanation>({ method: "GET", path: "/allocation_candidates/explain", query, require, prefer: PREFER }, call);
    return r.body;
  }
}
