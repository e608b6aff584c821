// Request and response shapes of the Placement API 1.0-1.39. Fields marked (1.N+) appear from that microversion.

export interface Link {
  rel: string;
  href: string;
}

export interface ResourceProvider {
  uuid: string;
  name: string;
  generation: number;
  /** (1.14+) */
  parent_provider_uuid?: string | null;
  /** (1.14+) */
  root_provider_uuid?: string;
  links: Link[];
}

export interface Inventory {
  total: number;
  reserved?: number;
  min_unit?: number;
  max_unit?: number;
  step_size?: number;
  allocation_ratio?: number;
}

/** An inventory as the server answers it (all fields filled). */
export type InventoryRecord = Required<Inventory>;

export interface Inventories {
  resource_provider_generation: number;
  inventories: Record<string, InventoryRecord>;
}

export interface InventoryReply extends InventoryRecord {
  resource_provider_generation: number;
}

export interface ResourceClass {
  name: string;
  links: Link[];
}

export interface ProviderTraits {
  traits: string[];
  resource_provider_generation: number;
}

export interface ProviderAggregates {
  aggregates: string[];
  /** (1.19+) */
  resource_provider_generation?: number;
}

export interface ProviderUsages {
  resource_provider_generation: number;
  usages: Record<string, number>;
}

/** GET /usages: {class: amount}, or (1.38+) grouped by consumer type with consumer_count. */
export interface ProjectUsages {
  usages: Record<string, number> | Record<string, Record<string, number> & { consumer_count: number }>;
}

export type Resources = Record<string, number>;

/** Allocations of one consumer, keyed by provider uuid. */
export type AllocationsByProvider = Record<string, { resources: Resources; generation?: number }>;

export interface ConsumerAllocations {
  allocations: AllocationsByProvider;
  /** (1.12+) */
  project_id?: string;
  /** (1.12+) */
  user_id?: string;
  /** (1.28+) null when the consumer does not exist */
  consumer_generation?: number | null;
  /** (1.38+) */
  consumer_type?: string;
}

/** Body of PUT /allocations/{consumer} and of each consumer in POST /allocations (dict form, 1.12+). */
export interface AllocationWrite {
  allocations: Record<string, { resources: Resources }>;
  project_id: string;
  user_id: string;
  /** (1.28+) null for a consumer that has no allocations yet. Giving it selects 1.28. */
  consumer_generation?: number | null;
  /** (1.38+) Giving it selects 1.38 (which also requires consumer_generation). */
  consumer_type?: string;
  /** (1.34+) request group suffix -> providers, as returned in allocation requests. */
  mappings?: Record<string, string[]>;
}

export interface ProviderAllocations {
  resource_provider_generation: number;
  allocations: Record<string, { resources: Resources }>;
}

export interface AllocationRequest {
  allocations: Record<string, { resources: Resources }>;
  /** (1.34+) */
  mappings?: Record<string, string[]>;
}

export interface ProviderSummary {
  resources: Record<string, { capacity: number; used: number }>;
  /** (1.17+) */
  traits?: string[];
  /** (1.29+) */
  parent_provider_uuid?: string | null;
  /** (1.29+) */
  root_provider_uuid?: string;
}

export interface AllocationCandidates {
  allocation_requests: AllocationRequest[];
  provider_summaries: Record<string, ProviderSummary>;
}

export interface ReshapeRequest {
  inventories: Record<string, { resource_provider_generation: number; inventories: Record<string, Inventory> }>;
  /** Every consumer whose allocations change, with its consumer_generation (and consumer_type at 1.38). */
  allocations: Record<string, AllocationWrite & { consumer_generation: number | null }>;
}

export interface ServerVersion {
  id: string;
  min_version: string;
  max_version: string;
  status: string;
  links: Link[];
}
