// What the caller may do (Berth's GET /capabilities documents; docs/capabilities.md): the service,
// a type of resource, one provider or consumer; and a check before a call that would be refused.
// A server without them (the reference Placement) answers 404: NotFoundError.
import { seg, type CallOptions, type Transport } from "../transport.js";

export type CapabilityType =
  | "resource_providers"
  | "inventories"
  | "usages"
  | "aggregates"
  | "traits"
  | "resource_classes"
  | "allocations"
  | "allocation_candidates"
  | "reshaper";

export interface Refusal {
  reason: "policy" | "scope" | "state";
  rule?: string;
  check?: string;
  expanded?: string;
  detail: string;
}

export interface OperationCapability {
  id: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  type: CapabilityType;
  since: string;
  allowed: boolean;
  refused_by?: Refusal[];
  conditions?: string[];
}

export interface Caller {
  user_id: string | null;
  project_id: string | null;
  roles: string[];
  scope: "project" | "system" | "domain";
  system_scope: string | null;
}

export interface ServiceCapabilities {
  capabilities_version: string;
  level: "service";
  microversions: { min: string; max: string };
  caller: Caller;
  operations: OperationCapability[];
  features: { name: string; since: string; summary: string }[];
  types: { type: CapabilityType; href: string }[];
}

export interface TypeCapabilities {
  capabilities_version: string;
  level: "type";
  type: CapabilityType;
  caller: Caller;
  operations: OperationCapability[];
  query_parameters: { operation: string; name: string; since: string; forms?: { form: string; since: string }[] }[];
  fields: { in: string; name: string; since: string; until?: string }[];
  instances: string | null;
}

export interface InstanceCapabilities<S = Record<string, unknown>> {
  capabilities_version: string;
  level: "instance";
  type: "resource_providers" | "allocations";
  id: string;
  caller: Caller;
  state: S;
  operations: OperationCapability[];
}

/** Thrown by `check` for a call this caller may not make. */
export class CapabilityRefused extends Error {
  constructor(readonly operation: OperationCapability) {
    super(`${operation.method} ${operation.path} would be refused: ${(operation.refused_by ?? []).map((r) => r.detail).join("; ")}`);
    this.name = "CapabilityRefused";
  }
}

export class Capabilities {
  private cached?: Promise<ServiceCapabilities>;

  constructor(private readonly t: Transport) {}

  /** The service document (kept for the client's lifetime; `refresh` fetches it again). */
  service(opts: { refresh?: boolean } & CallOptions = {}): Promise<ServiceCapabilities> {
    if (opts.refresh || !this.cached) {
      this.cached = this.t.request<ServiceCapabilities>({ method: "GET", path: "/capabilities" }, opts).then((r) => r.body);
      this.cached.catch(() => (this.cached = undefined));
    }
    return this.cached;
  }

  async forType(type: CapabilityType, call?: CallOptions): Promise<TypeCapabilities> {
    return (await this.t.request<TypeCapabilities>({ method: "GET", path: `/capabilities/${seg(type)}` }, call)).body;
  }

  async provider(uuid: string, call?: CallOptions): Promise<InstanceCapabilities> {
    return (await this.t.request<InstanceCapabilities>({ method: "GET", path: `/capabilities/resource_providers/${seg(uuid)}` }, call)).body;
  }

  async consumer(uuid: string, call?: CallOptions): Promise<InstanceCapabilities> {
    return (await this.t.request<InstanceCapabilities>({ method: "GET", path: `/capabilities/allocations/${seg(uuid)}` }, call)).body;
  }

  /** The service document's verdict on an operation (method and route template, e.g. "/resource_providers/{uuid}"). */
  async allows(method: OperationCapability["method"], path: string): Promise<OperationCapability> {
    const op = (await this.service()).operations.find((o) => o.method === method && o.path === path);
    if (!op) throw new TypeError(`no operation ${method} ${path} in the service's capabilities`);
    return op;
  }

  /** Throws CapabilityRefused unless the caller may make the call (checked before sending it). */
  async check(method: OperationCapability["method"], path: string): Promise<void> {
    const op = await this.allows(method, path);
    if (!op.allowed) throw new CapabilityRefused(op);
  }
}
