// /resource_providers: list, show, create, update, delete, and whole provider trees.
import { encodeFilter, encodeResources, type Encoded, type TraitAndAggregateFilter } from "../query.js";
import { seg, type CallOptions, type Transport } from "../transport.js";
import type { Feature } from "../versions.js";
import type { InventoryRecord, ResourceProvider, Resources } from "../types.js";

export interface ProviderFilter extends TraitAndAggregateFilter {
  name?: string;
  uuid?: string;
  /** Providers with capacity for these amounts (1.4). */
  resources?: Resources;
  /** Providers in the tree of this provider (1.14). */
  inTree?: string;
}

export interface NewProvider {
  name: string;
  uuid?: string;
  /** (1.14+) */
  parent_provider_uuid?: string;
}

export interface ProviderUpdate {
  name: string;
  /** A parent (1.14); changing an existing parent or `null` to un-parent needs 1.37. */
  parent_provider_uuid?: string | null;
}

/** One provider of a tree, with its inventories, usages and children. */
export interface ProviderNode {
  provider: ResourceProvider;
  inventories: Record<string, InventoryRecord>;
  usages: Record<string, number>;
  children: ProviderNode[];
}

const FILTER_FEATURES = { required: "providersRequired", memberOf: "providersMemberOf" } as const;
const READ_PREFER: Feature[] = ["providerTree", "errorCodes"];

export function encodeProviderFilter(f: ProviderFilter): Encoded {
  const out: Encoded = { query: {}, require: [] };
  if (f.name !== undefined) out.query.name = f.name;
  if (f.uuid !== undefined) out.query.uuid = f.uuid;
  if (f.resources && Object.keys(f.resources).length) {
    out.query.resources = encodeResources(f.resources);
    out.require.push("providersResources");
  }
  if (f.inTree) {
    out.query.in_tree = f.inTree;
    out.require.push("providerTree");
  }
  encodeFilter(f, "", FILTER_FEATURES, out);
  return out;
}

export class Providers {
  constructor(private readonly t: Transport) {}

  async list(filter: ProviderFilter = {}, call?: CallOptions): Promise<ResourceProvider[]> {
    const { query, require } = encodeProviderFilter(filter);
    const r = await this.t.request<{ resource_providers: ResourceProvider[] }>(
      { method: "GET", path: "/resource_providers", query, require, prefer: READ_PREFER },
      call,
    );
    return r.body.resource_providers;
  }

  async get(uuid: string, call?: CallOptions): Promise<ResourceProvider> {
    const r = await this.t.request<ResourceProvider>({ method: "GET", path: `/resource_providers/${seg(uuid)}`, prefer: READ_PREFER }, call);
    return r.body;
  }

  /** Creates a provider and returns it (read back when the server is older than 1.20). */
  async create(p: NewProvider, call?: CallOptions): Promise<ResourceProvider> {
    const r = await this.t.request<ResourceProvider | undefined>(
      {
        method: "POST",
        path: "/resource_providers",
        body: p,
        require: [p.parent_provider_uuid !== undefined && "providerTree"],
        prefer: ["createReturnsProvider", "errorCodes"],
      },
      call,
    );
    if (r.body) return r.body;
    const uuid = p.uuid ?? r.headers.get("location")?.split("/").pop();
    if (!uuid) throw new Error("the server created a provider but did not say where");
    return this.get(uuid, call);
  }

  async update(uuid: string, u: ProviderUpdate, call?: CallOptions): Promise<ResourceProvider> {
    const parent = u.parent_provider_uuid;
    const r = await this.t.request<ResourceProvider>(
      {
        method: "PUT",
        path: `/resource_providers/${seg(uuid)}`,
        body: u,
        require: [parent !== undefined && "providerTree", parent === null && "reparenting"],
        // NOTE: 1.37 only widens what a parent change may do, so it is used when available.
        prefer: ["providerTree", parent !== undefined && "reparenting", "errorCodes"],
      },
      call,
    );
    return r.body;
  }

  async delete(uuid: string, call?: CallOptions): Promise<void> {
    await this.t.request({ method: "DELETE", path: `/resource_providers/${seg(uuid)}`, prefer: ["errorCodes"] }, call);
  }

  /**
   * The whole tree containing `uuid`, from its root, each provider with its inventories and usages
   * (one request for the providers plus two per provider).
   */
  async tree(uuid: string, call?: CallOptions): Promise<ProviderNode> {
    const members = await this.list({ inTree: uuid }, call);
    const nodes = new Map<string, ProviderNode>();
    await Promise.all(
      members.map(async (p) => {
        const [inv, use] = await Promise.all([
          this.t.request<{ inventories: Record<string, InventoryRecord> }>({ method: "GET", path: `/resource_providers/${seg(p.uuid)}/inventories` }, call),
          this.t.request<{ usages: Record<string, number> }>({ method: "GET", path: `/resource_providers/${seg(p.uuid)}/usages` }, call),
        ]);
        nodes.set(p.uuid, { provider: p, inventories: inv.body.inventories, usages: use.body.usages, children: [] });
      }),
    );
    let root: ProviderNode | undefined;
    for (const p of members) {
      const node = nodes.get(p.uuid)!;
      const parent = p.parent_provider_uuid ? nodes.get(p.parent_provider_uuid) : undefined;
      if (parent) parent.children.push(node);
      else root = node;
    }
    for (const n of nodes.values()) n.children.sort((a, b) => a.provider.name.localeCompare(b.provider.name));
    if (!root) throw new Error(`no root found in the tree of ${uuid}`);
    return root;
  }
}
