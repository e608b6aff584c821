// Parsing of the filter query parameters shared by GET /resource_providers and
// GET /allocation_candidates (`member_of`, `required`, `resources`, `in_tree`), as pure functions
// that raise the reference's 400s. The values arrive already split per repeated key.
import { badRequest } from "./errors.js";
import type { Version } from "./microversion.js";
import { at } from "@berth/client/common";
import { isUuidLike } from "../python/uuid.js";

export interface MemberOf {
  /** Each inner list is an any-of; the outer list is AND'd. */
  required: string[][];
  /** A provider in any of these is excluded. */
  forbidden: string[];
}

/** One `member_of` value: a uuid, `in:a,b`, `!uuid` or `!in:a,b`. */
export function parseMemberOfValue(value: string): { required: string[]; forbidden: string[] } {
  if (value.includes(",") && !(value.startsWith("in:") || value.startsWith("!in:"))) {
    throw badRequest(`Multiple values for 'member_of' must be prefixed with the 'in:' or '!in:' keyword using the valid microversion. Got: ${value}`);
  }
  let required: string[] = [];
  let forbidden: string[] = [];
  if (value.startsWith("!in:")) forbidden = unique(value.slice(4).split(","));
  else if (value.startsWith("!")) forbidden = [value.slice(1)];
  else if (value.startsWith("in:")) required = unique(value.slice(3).split(","));
  else required = [value];
  for (const u of [...required, ...forbidden]) {
    if (!isUuidLike(u)) throw badRequest(`Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). Got: ${u}`);
  }
  return { required, forbidden };
}

/**
 * Every `member_of<suffix>` value of a request: repeated keys (AND) from 1.24, forbidden
 * aggregates from 1.32.
 */
export function parseMemberOf(values: readonly string[], version: Version, suffix = ""): MemberOf {
  if (!version.atLeast(1, 24) && values.length > 1) throw badRequest(`Multiple member_of${suffix} parameters are not supported`);
  const out: MemberOf = { required: [], forbidden: [] };
  const forbidden = new Set<string>();
  for (const value of values) {
    const one = parseMemberOfValue(value);
    if (one.required.length) out.required.push(one.required);
    if (one.forbidden.length) {
      if (!version.atLeast(1, 32)) {
        throw badRequest(`Forbidden member_of${suffix} parameters are not supported in the specified microversion`);
      }
      one.forbidden.forEach((u) => forbidden.add(u));
    }
  }
  out.forbidden = [...forbidden];
  return out;
}

export interface RequiredTraits {
  /** Each inner list is an any-of; the outer list is AND'd. */
  required: string[][];
  forbidden: string[];
}

/** One `required` value: `A,!B` (forbidden from 1.22) or `in:A,B` (from 1.39). */
export function parseRequiredValue(value: string, allowForbidden: boolean, allowAnyOf: boolean): RequiredTraits {
  if (value.startsWith("in:")) {
    if (!allowAnyOf) {
      throw badRequest(`Invalid query string parameters: The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since microversion 1.39. Got: ${value}`);
    }
    const anyOf = unique(
      value
        .slice(3)
        .split(",")
        .map((s) => s.trim()),
    );
    if (anyOf.some((t) => !t)) {
      throw badRequest(
        `Invalid query string parameters: Expected 'required' parameter value of the form: in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got an empty trait in: ${value}`,
      );
    }
    if (anyOf.some((t) => t.startsWith("!"))) {
      throw badRequest(`Invalid query string parameters: The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' does not support forbidden traits. Got: ${value}`);
    }
    return { required: [anyOf], forbidden: [] };
  }
  const all = value.split(",").map((s) => s.trim());
  // NOTE: the reference strips every leading '!', so '!!FOO' forbids FOO.
  const forbidden = unique(all.filter((t) => t.startsWith("!")).map((t) => t.replace(/^!+/, "")));
  if ([...forbidden, ...all].some((t) => !t)) {
    const form = allowForbidden ? "HW_CPU_X86_VMX,!CUSTOM_MAGIC" : "HW_CPU_X86_VMX,CUSTOM_MAGIC";
    throw badRequest(`Invalid query string parameters: Expected 'required' parameter value of the form: ${form}. Got an empty trait in: ${value}`);
  }
  if (forbidden.length && !allowForbidden) {
    throw badRequest(`Invalid query string parameters: Expected 'required' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: ${value}`);
  }
  return { required: unique(all.filter((t) => !t.startsWith("!"))).map((t) => [t]), forbidden };
}

/** Every `required<suffix>` value: before 1.39 only the last one counts. */
export function parseRequired(values: readonly string[], version: Version): RequiredTraits {
  const allowForbidden = version.atLeast(1, 22);
  const allowAnyOf = version.atLeast(1, 39);
  const used = allowAnyOf ? values : values.slice(-1);
  const out: RequiredTraits = { required: [], forbidden: [] };
  const forbidden = new Set<string>();
  for (const v of used) {
    const one = parseRequiredValue(v, allowForbidden, allowAnyOf);
    out.required.push(...one.required);
    one.forbidden.forEach((t) => forbidden.add(t));
  }
  out.forbidden = [...forbidden];
  return out;
}

const RESOURCES_FORM = "Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024.";

/** `VCPU:2,MEMORY_MB:1024` -> class name -> amount (a repeated class keeps its first place, last amount). */
export function parseResources(value: string): Map<string, number> {
  if (value.trim() === "") throw badRequest(`${RESOURCES_FORM} Got: empty string.`);
  const out = new Map<string, number>();
  for (const part of value.split(",")) {
    const pieces = part.split(":");
    if (pieces.length !== 2) throw badRequest(`${RESOURCES_FORM} Got: ${part}.`);
    const [name, raw] = pieces as [string, string];
    const amount = pyInt(raw);
    if (amount === undefined) throw badRequest(`Requested resource ${name} expected positive integer amount. Got: ${raw}.`);
    if (amount < 1) throw badRequest(`Requested resource ${name} requires amount >= 1. Got: ${amount}.`);
    out.set(name, amount);
  }
  return out;
}

/** Python's int() on a string: surrounding whitespace, a sign and digit-separating underscores. */
export function pyInt(s: string): number | undefined {
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(s);
  if (!m) return undefined;
  const n = Number(at(m, 2).replace(/_/g, ""));
  return m[1] === "-" ? -n : n;
}

/** All values of a repeated query key, in order. */
export function queryValues(url: URL, key: string): string[] {
  return url.searchParams.getAll(key);
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
