// Usages of one provider, and totals of a project (1.9).
import { seg, type CallOptions, type Transport } from "../transport.js";
import type { ProjectUsages, ProviderUsages } from "../types.js";

export interface UsageFilter {
  project_id: string;
  user_id?: string;
  /** Only consumers of this type (1.38): e.g. INSTANCE, MIGRATION, all, unknown. */
  consumer_type?: string;
}

export class Usages {
  constructor(private readonly t: Transport) {}

  async forProvider(uuid: string, call?: CallOptions): Promise<ProviderUsages> {
    return (await this.t.request<ProviderUsages>({ method: "GET", path: `/resource_providers/${seg(uuid)}/usages` }, call)).body;
  }

  /** GET /usages; from 1.38 the reply is grouped by consumer type (used when consumer_type is given). */
  async forProject(f: UsageFilter, call?: CallOptions): Promise<ProjectUsages> {
    const r = await this.t.request<ProjectUsages>(
      {
        method: "GET",
        path: "/usages",
        query: { project_id: f.project_id, user_id: f.user_id, consumer_type: f.consumer_type },
        require: ["usagesByProject", f.consumer_type !== undefined && "consumerTypes"],
      },
      call,
    );
    return r.body;
  }
}
