// Allocation candidates.
import type { Ctx } from "../http/context.js";
import { notImplemented } from "../http/errors.js";

export async function list(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

