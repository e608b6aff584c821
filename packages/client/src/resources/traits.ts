// /traits and /resource_providers/{uuid}/traits (1.6).
import { retryOnConflict, type RetryOptions } from "../retry.js";
import { seg, type CallOptions, type Transport } from "../transport.js";
import type { ProviderTraits } from "../types.js";

export interface TraitFilter {
  /** "startswith:CUSTOM_" or "in:A,B" */
  name?: string;
  /** Only traits some provider has (true) or none has (false). */
  associated?: boolean;
}

export class Traits {
  constructor(private readonly t: Transport) {}

  async list(filter: TraitFilter = {}, call?: CallOptions): Promise<string[]> {
    const r = await this.t.request<{ traits: string[] }>(
      {
        method: "GET",
        path: "/traits",
        query: { name: filter.name, associated: filter.associated === undefined ? undefined : String(filter.associated) },
        require: ["traits"],
      },
      call,
    );
    return r.body.traits;
  }

  /** Checks the trait exists; a NotFoundError when it does not. */
  async get(name: string, call?: CallOptions): Promise<void> {
    await this.t.request({ method: "GET", path: `/traits/${seg(name)}`, require: ["traits"], prefer: ["errorCodes"] }, call);
  }

  /** Whether the trait exists (GET answers 204 or 404). */
  async exists(name: string, call?: CallOptions): Promise<boolean> {
    try {
      await this.t.request({ method: "GET", path: `/traits/${seg(name)}`, require: ["traits"] }, call);
      return true;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return false;
      throw e;
    }
  }

  /** PUT: creates a custom trait; true when it was created, false when it existed. */
  async create(name: string, call?: CallOptions): Promise<boolean> {
    const r = await this.t.request({ method: "PUT", path: `/traits/${seg(name)}`, require: ["traits"], prefer: ["errorCodes"] }, call);
    return r.status === 201;
  }

  async delete(name: string, call?: CallOptions): Promise<void> {
    await this.t.request({ method: "DELETE", path: `/traits/${seg(name)}`, require: ["traits"], prefer: ["errorCodes"] }, call);
  }
}

const ppath = (uuid: string) => `/resource_providers/${seg(uuid)}/traits`;

export class ProviderTraitsApi {
  constructor(private readonly t: Transport) {}

  async get(uuid: string, call?: CallOptions): Promise<ProviderTraits> {
    return (await this.t.request<ProviderTraits>({ method: "GET", path: ppath(uuid), require: ["traits"] }, call)).body;
  }

  /** Replaces the provider's traits; `generation` is the provider generation read before. */
  async set(uuid: string, generation: number, traits: readonly string[], call?: CallOptions): Promise<ProviderTraits> {
    const r = await this.t.request<ProviderTraits>(
      {
        method: "PUT",
        path: ppath(uuid),
        body: { resource_provider_generation: generation, traits },
        require: ["traits"],
        prefer: ["errorCodes"],
      },
      call,
    );
    return r.body;
  }

  /** Removes all the provider's traits. */
  async clear(uuid: string, call?: CallOptions): Promise<void> {
    await this.t.request({ method: "DELETE", path: ppath(uuid), require: ["traits"], prefer: ["errorCodes"] }, call);
  }

  /** Adds traits, re-reading on generation conflicts. */
  add(uuid: string, traits: readonly string[], opts: { retry?: RetryOptions; call?: CallOptions } = {}): Promise<ProviderTraits> {
    return this.modify(uuid, (cur) => [...new Set([...cur, ...traits])], opts);
  }

  /** Removes traits, re-reading on generation conflicts. */
  remove(uuid: string, traits: readonly string[], opts: { retry?: RetryOptions; call?: CallOptions } = {}): Promise<ProviderTraits> {
    return this.modify(uuid, (cur) => cur.filter((t) => !traits.includes(t)), opts);
  }

  private modify(uuid: string, change: (cur: string[]) => string[], opts: { retry?: RetryOptions; call?: CallOptions }): Promise<ProviderTraits> {
    return retryOnConflict(async () => {
      const cur = await this.get(uuid, opts.call);
      return this.set(uuid, cur.resource_provider_generation, change(cur.traits), opts.call);
    }, opts.retry);
  }
}
