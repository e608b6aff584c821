// /resource_providers/{uuid}/aggregates (1.1; provider generation in body and reply from 1.19).
import { retryOnConflict, type RetryOptions } from "../retry.js";
import { seg, type CallOptions, type Transport } from "../transport.js";
import type { ProviderAggregates } from "../types.js";

const path = (uuid: string) => `/resource_providers/${seg(uuid)}/aggregates`;

export class Aggregates {
  constructor(private readonly t: Transport) {}

  async get(uuid: string, call?: CallOptions): Promise<ProviderAggregates> {
    const r = await this.t.request<ProviderAggregates>(
      { method: "GET", path: path(uuid), require: ["providerAggregates"], prefer: ["aggregateGenerations"] },
      call,
    );
    return r.body;
  }

  /**
   * Replaces the provider's aggregates. With `generation` (1.19) the write is a compare-and-swap;
   * without it, it is sent below 1.19 where the server does not check.
   */
  async set(uuid: string, aggregates: readonly string[], generation?: number, call?: CallOptions): Promise<ProviderAggregates> {
    const withGen = generation !== undefined;
    const r = await this.t.request<ProviderAggregates>(
      {
        method: "PUT",
        path: path(uuid),
        body: withGen ? { aggregates, resource_provider_generation: generation } : aggregates,
        require: ["providerAggregates", withGen && "aggregateGenerations"],
        // The list-only body is refused from 1.19, so error codes (1.23) only come with a generation.
        prefer: [withGen && "errorCodes"],
      },
      call,
    );
    return r.body;
  }

  /** Adds aggregates with a generation check, re-reading on conflicts. */
  add(uuid: string, aggregates: readonly string[], opts: { retry?: RetryOptions; call?: CallOptions } = {}): Promise<ProviderAggregates> {
    return retryOnConflict(async () => {
      const cur = await this.get(uuid, opts.call);
      return this.set(uuid, [...new Set([...cur.aggregates, ...aggregates])], cur.resource_provider_generation, opts.call);
    }, opts.retry);
  }
}
