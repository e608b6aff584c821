// Usages of a provider and of a project.
import type { Ctx } from "../http/context.js";
import { notImplemented } from "../http/errors.js";

export async function forProvider(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

export async function forProject(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

