// Resource classes.
import type { Ctx } from "../http/context.js";
import { notImplemented } from "../http/errors.js";

export async function list(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

export async function create(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

export async function show(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

export async function update(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

export async function remove(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

