// GET /allocation_candidates: where a request fits, as allocation requests plus provider summaries.
import { encodeCandidateRequest, type CandidateRequest, type CandidateRequestBuilder } from "../candidates.js";
import type { CallOptions, Transport } from "../transport.js";
import type { Feature } from "../versions.js";
import type { AllocationCandidates as Reply } from "../types.js";

// Richer summaries, trees and mappings: used whenever the server has them.
const PREFER: Feature[] = ["candidatesRequired", "summariesAllResources", "nestedCandidates", "allocationMappings", "errorCodes"];

export class AllocationCandidates {
  constructor(private readonly t: Transport) {}

  async list(request: CandidateRequest | CandidateRequestBuilder, call?: CallOptions): Promise<Reply & { version: string }> {
    const spec = "build" in request ? request.build() : request;
    const { query, require } = encodeCandidateRequest(spec);
    const r = await this.t.request<Reply>({ method: "GET", path: "/allocation_candidates", query, require, prefer: PREFER }, call);
    return { ...r.body, version: r.version };
  }
}
