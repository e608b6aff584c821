// The SDK's entry point: one object holding a resource class per API noun.
import { Transport, type CallOptions, type ClientOptions } from "./transport.js";
import type { ServerRange, VersionNeeds } from "./versions.js";
import { Providers } from "./resources/providers.js";
import { ProviderInventories } from "./resources/inventories.js";
import { ResourceClasses } from "./resources/resource-classes.js";
import { ProviderTraitsApi, Traits } from "./resources/traits.js";
import { Aggregates } from "./resources/aggregates.js";
import { Allocations } from "./resources/allocations.js";
import { Usages } from "./resources/usages.js";
import { AllocationCandidates } from "./resources/allocation-candidates.js";
import { Reshaper } from "./resources/reshaper.js";
import { Capabilities } from "./resources/capabilities.js";

export class PlacementClient {
  readonly transport: Transport;
  readonly providers: Providers;
  readonly inventories: ProviderInventories;
  readonly resourceClasses: ResourceClasses;
  readonly traits: Traits;
  readonly providerTraits: ProviderTraitsApi;
  readonly aggregates: Aggregates;
  readonly allocations: Allocations;
  readonly usages: Usages;
  readonly allocationCandidates: AllocationCandidates;
  readonly reshaper: Reshaper;
  /** Berth's capabilities documents (not in the reference Placement). */
  readonly capabilities: Capabilities;

  constructor(opts: ClientOptions) {
    const t = (this.transport = new Transport(opts));
    this.providers = new Providers(t);
    this.inventories = new ProviderInventories(t);
    this.resourceClasses = new ResourceClasses(t);
    this.traits = new Traits(t);
    this.providerTraits = new ProviderTraitsApi(t);
    this.aggregates = new Aggregates(t);
    this.allocations = new Allocations(t);
    this.usages = new Usages(t);
    this.allocationCandidates = new AllocationCandidates(t);
    this.reshaper = new Reshaper(t);
    this.capabilities = new Capabilities(t);
  }

  /** The server's microversion range (GET /, cached). */
  serverRange(): Promise<ServerRange> {
    return this.transport.serverRange();
  }

  /** The microversion a call needing these features would use. */
  versionFor(needs: VersionNeeds, call?: CallOptions): Promise<string> {
    return this.transport.versionFor(needs, call);
  }
}
