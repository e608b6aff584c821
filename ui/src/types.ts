// What the dashboard's reads answer (src/handlers/fleet.ts) and the Placement documents it reads.

export interface ClassTotals {
  name: string;
  providers: number;
  total: number;
  reserved: number;
  capacity: number;
  used: number;
}

export interface RankedProvider {
  uuid: string;
  name: string | null;
  root_uuid: string;
  root_name: string | null;
  resource_class: string;
  capacity: number;
  used: number;
}

export interface Fleet {
  providers: number;
  trees: number;
  classes: ClassTotals[];
  resource_class: string | null;
  fullest: RankedProvider[];
  emptiest: RankedProvider[];
}

export interface FilterChoices {
  aggregates: { uuid: string; providers: number }[];
  traits: { name: string; providers: number }[];
}

export interface TreeSummary {
  uuid: string;
  name: string | null;
  providers: number;
  resources: Record<string, { capacity: number; used: number }>;
}

export interface InventoryView {
  total: number;
  reserved: number;
  min_unit: number;
  max_unit: number;
  step_size: number;
  allocation_ratio: number;
  capacity: number;
  used: number;
}

export interface ProviderView {
  uuid: string;
  name: string | null;
  generation: number;
  parent_provider_uuid: string | null;
  root_provider_uuid: string;
  inventories: Record<string, InventoryView>;
  traits: string[];
  aggregates: string[];
}

export interface Tree {
  providers: ProviderView[];
  sharing: ProviderView[];
}

export interface ConsumerSummary {
  uuid: string;
  project_id: string;
  user_id: string;
  consumer_type: string;
  generation: number;
  providers: number;
  usages: Record<string, number>;
}

export interface UsageGroup {
  key: string;
  consumers: number;
  usages: Record<string, number>;
}

export interface Consumers {
  total: number;
  consumers: ConsumerSummary[];
  by_project: UsageGroup[];
  by_user: UsageGroup[];
  by_type: UsageGroup[];
}

export interface Operation {
  id: string;
  allowed: boolean;
  conditions?: string[];
}

export interface Capabilities {
  caller: { user_id: string | null; project_id: string | null; roles: string[] };
  operations: Operation[];
}

/** GET /allocations/{consumer} at 1.38. */
export interface ConsumerAllocations {
  allocations: Record<string, { generation: number; resources: Record<string, number> }>;
  consumer_generation?: number;
  project_id?: string;
  user_id?: string;
  consumer_type?: string;
}

/** GET /allocation_candidates at 1.39 (the parts shown). */
export interface Candidates {
  allocation_requests: { allocations: Record<string, { resources: Record<string, number> }>; mappings?: Record<string, string[]> }[];
  provider_summaries: Record<
    string,
    { resources: Record<string, { capacity: number; used: number }>; traits: string[]; parent_provider_uuid: string | null; root_provider_uuid: string }
  >;
}

/** The migration consumer type Nova gives the allocations it holds during a move. */
export const MIGRATION = "MIGRATION";
