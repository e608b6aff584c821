// The reshaper.
import type { Ctx } from "../http/context.js";
import { notImplemented } from "../http/errors.js";

export async function reshape(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

