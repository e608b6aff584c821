// Request ids: `req-<uuid>` for every response; an incoming global request id is accepted and logged.
import { randomUUID } from "node:crypto";

export const REQUEST_ID_HEADER = "x-openstack-request-id";
const GLOBAL_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

/** The caller's global request id, when it is well formed (as oslo.middleware checks it). */
export function globalRequestId(header: string | null): string | undefined {
  return header && GLOBAL_ID.test(header) ? header : undefined;
}
