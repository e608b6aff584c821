// /resource_providers/{uuid}/inventories: per provider, guarded by the provider generation.
import { retryOnConflict, type RetryOptions } from "../retry.js";
import { seg, type CallOptions, type Transport } from "../transport.js";
import type { Feature } from "../versions.js";
import type { Inventories, Inventory, InventoryReply } from "../types.js";

const path = (uuid: string) => `/resource_providers/${seg(uuid)}/inventories`;

// reserved == total is accepted from 1.26 on.
const fullyReserved = (inv: Inventory): Feature | false => inv.reserved !== undefined && inv.reserved >= inv.total && inv.total > 0 && "reservedEqualsTotal";

export class ProviderInventories {
  constructor(private readonly t: Transport) {}

  async list(uuid: string, call?: CallOptions): Promise<Inventories> {
    return (await this.t.request<Inventories>({ method: "GET", path: path(uuid) }, call)).body;
  }

  async get(uuid: string, resourceClass: string, call?: CallOptions): Promise<InventoryReply> {
    return (await this.t.request<InventoryReply>({ method: "GET", path: `${path(uuid)}/${seg(resourceClass)}` }, call)).body;
  }

  /** Replaces all inventories (PUT); `generation` is the provider generation read before. */
  async replace(uuid: string, generation: number, inventories: Record<string, Inventory>, call?: CallOptions): Promise<Inventories> {
    const r = await this.t.request<Inventories>(
      {
        method: "PUT",
        path: path(uuid),
        body: { resource_provider_generation: generation, inventories },
        require: Object.values(inventories).map(fullyReserved),
        prefer: ["errorCodes"],
      },
      call,
    );
    return r.body;
  }

  /** Adds one class (POST). */
  async create(uuid: string, generation: number, resourceClass: string, inv: Inventory, call?: CallOptions): Promise<InventoryReply> {
    const r = await this.t.request<InventoryReply>(
      {
        method: "POST",
        path: path(uuid),
        body: { resource_class: resourceClass, resource_provider_generation: generation, ...inv },
        require: [fullyReserved(inv)],
        prefer: ["errorCodes"],
      },
      call,
    );
    return r.body;
  }

  /** Updates one class (PUT). */
  async update(uuid: string, generation: number, resourceClass: string, inv: Inventory, call?: CallOptions): Promise<InventoryReply> {
    const r = await this.t.request<InventoryReply>(
      {
        method: "PUT",
        path: `${path(uuid)}/${seg(resourceClass)}`,
        body: { resource_provider_generation: generation, ...inv },
        require: [fullyReserved(inv)],
        prefer: ["errorCodes"],
      },
      call,
    );
    return r.body;
  }

  async delete(uuid: string, resourceClass: string, call?: CallOptions): Promise<void> {
    await this.t.request({ method: "DELETE", path: `${path(uuid)}/${seg(resourceClass)}`, prefer: ["errorCodes"] }, call);
  }

  /** Deletes every inventory (1.5). */
  async deleteAll(uuid: string, call?: CallOptions): Promise<void> {
    await this.t.request({ method: "DELETE", path: path(uuid), require: ["deleteAllInventories"], prefer: ["errorCodes"] }, call);
  }

  /**
   * Read-modify-write of the whole inventory: `change` gets the current inventories and returns the
   * new ones; generation conflicts re-read and re-apply (bounded by `retry`).
   */
  async amend(
    uuid: string,
    change: (current: Record<string, Inventory>) => Record<string, Inventory>,
    opts: { retry?: RetryOptions; call?: CallOptions } = {},
  ): Promise<Inventories> {
    return retryOnConflict(async () => {
      const cur = await this.list(uuid, opts.call);
      return this.replace(uuid, cur.resource_provider_generation, change(structuredClone(cur.inventories)), opts.call);
    }, opts.retry);
  }
}
