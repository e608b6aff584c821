// Allocations of consumers.
import type { Ctx } from "../http/context.js";
import { notImplemented } from "../http/errors.js";

export async function forProvider(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

export async function postMany(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

export async function show(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

export async function replace(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

export async function remove(_ctx: Ctx): Promise<Response> {
  throw notImplemented();
}

