// Aggregates of a provider.
import type { Ctx } from "../http/context.js";
import { notImplemented } from "../http/errors.js";

export async function show(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

export async function replace(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

