// /allocations: one consumer (GET/PUT/DELETE), many consumers (POST, 1.13), per provider.
import { seg, type CallOptions, type Transport } from "../transport.js";
import type { Feature } from "../versions.js";
import type { AllocationWrite, ConsumerAllocations, ProviderAllocations } from "../types.js";

/** The features a dict-form allocation body uses. */
export function allocationFeatures(w: AllocationWrite): (Feature | false)[] {
  return [
    "allocationsDictForm",
    "consumer_generation" in w && w.consumer_generation !== undefined && "consumerGenerations",
    w.mappings !== undefined && "allocationMappings",
    w.consumer_type !== undefined && "consumerTypes",
  ];
}

// Replies only gain fields with these versions, so reads use them when the server has them.
const READ_PREFER: Feature[] = ["allocationsDictForm", "consumerGenerations", "consumerTypes"];

export class Allocations {
  constructor(private readonly t: Transport) {}

  /** A consumer's allocations; `allocations` is {} (and consumer_generation absent or null) when it has none. */
  async get(consumer: string, call?: CallOptions): Promise<ConsumerAllocations> {
    const r = await this.t.request<ConsumerAllocations>({ method: "GET", path: `/allocations/${seg(consumer)}`, prefer: READ_PREFER }, call);
    return r.body;
  }

  /**
   * Replaces a consumer's allocations. Give `consumer_generation` (null for a new consumer) to make
   * it a compare-and-swap (1.28); `consumer_type` needs 1.38.
   */
  async set(consumer: string, w: AllocationWrite, call?: CallOptions): Promise<void> {
    await this.t.request({ method: "PUT", path: `/allocations/${seg(consumer)}`, body: w, require: allocationFeatures(w), prefer: ["errorCodes"] }, call);
  }

  /** Sets the allocations of several consumers in one transaction (1.13); `{allocations: {}}` removes a consumer's. */
  async setMany(byConsumer: Record<string, AllocationWrite>, call?: CallOptions): Promise<void> {
    await this.t.request(
      {
        method: "POST",
        path: "/allocations",
        body: byConsumer,
        require: ["postAllocations", ...Object.values(byConsumer).flatMap(allocationFeatures)],
        prefer: ["errorCodes"],
      },
      call,
    );
  }

  async delete(consumer: string, call?: CallOptions): Promise<void> {
    await this.t.request({ method: "DELETE", path: `/allocations/${seg(consumer)}`, prefer: ["errorCodes"] }, call);
  }

  /** Allocations against one provider, by consumer. */
  async forProvider(uuid: string, call?: CallOptions): Promise<ProviderAllocations> {
    const r = await this.t.request<ProviderAllocations>({ method: "GET", path: `/resource_providers/${seg(uuid)}/allocations` }, call);
    return r.body;
  }
}
