// POST /reshaper (1.30): move inventories and allocations between providers in one transaction.
import type { CallOptions, Transport } from "../transport.js";
import type { ReshapeRequest } from "../types.js";
import { allocationFeatures } from "./allocations.js";

export class Reshaper {
  constructor(private readonly t: Transport) {}

  async reshape(r: ReshapeRequest, call?: CallOptions): Promise<void> {
    await this.t.request(
      {
        method: "POST",
        path: "/reshaper",
        body: r,
        require: ["reshaper", ...Object.values(r.allocations).flatMap(allocationFeatures)],
        prefer: ["errorCodes"],
      },
      call,
    );
  }
}
