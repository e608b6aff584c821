// /resource_classes (1.2): standard classes are read-only; custom ones start with CUSTOM_.
import { seg, type CallOptions, type Transport } from "../transport.js";
import type { ResourceClass } from "../types.js";

export class ResourceClasses {
  constructor(private readonly t: Transport) {}

  async list(call?: CallOptions): Promise<ResourceClass[]> {
    const r = await this.t.request<{ resource_classes: ResourceClass[] }>({ method: "GET", path: "/resource_classes", require: ["resourceClasses"] }, call);
    return r.body.resource_classes;
  }

  async get(name: string, call?: CallOptions): Promise<ResourceClass> {
    const r = await this.t.request<ResourceClass>({ method: "GET", path: `/resource_classes/${seg(name)}`, require: ["resourceClasses"] }, call);
    return r.body;
  }

  /** POST: fails with a ConflictError when it exists. */
  async create(name: string, call?: CallOptions): Promise<void> {
    await this.t.request({ method: "POST", path: "/resource_classes", body: { name }, require: ["resourceClasses"], prefer: ["errorCodes"] }, call);
  }

  /** Bodiless PUT (1.7): creates the class or accepts that it exists. True when it was created. */
  async ensure(name: string, call?: CallOptions): Promise<boolean> {
    const r = await this.t.request({ method: "PUT", path: `/resource_classes/${seg(name)}`, require: ["ensureResourceClass"] }, call);
    return r.status === 201;
  }

  async delete(name: string, call?: CallOptions): Promise<void> {
    await this.t.request({ method: "DELETE", path: `/resource_classes/${seg(name)}`, require: ["resourceClasses"], prefer: ["errorCodes"] }, call);
  }
}
