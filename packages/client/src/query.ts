// Encoding of the filters GET /resource_providers and GET /allocation_candidates share.
import type { Feature } from "./versions.js";
import type { Resources } from "./types.js";
import { first } from "./common/at.js";

/** Traits and aggregates a provider (or a request group) must or must not have. */
export interface TraitAndAggregateFilter {
  /** Traits the provider must have; "!TRAIT" means it must not have it (1.22). */
  required?: readonly string[];
  /** Sets of traits of which the provider must have at least one each (1.39). */
  anyOf?: readonly (readonly string[])[];
  /** Each entry is one member_of: an aggregate, or a list meaning "any of these". */
  memberOf?: readonly (string | readonly string[])[];
  /** Aggregates the provider must be in none of (1.32). */
  notMemberOf?: readonly string[];
}

export interface Encoded {
  query: Record<string, string | string[]>;
  require: Feature[];
}

/** "VCPU:2,MEMORY_MB:512", sorted so equal requests encode equally. */
export function encodeResources(r: Resources): string {
  return Object.entries(r)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}:${v}`)
    .join(",");
}

/**
 * Adds `required<suffix>` and `member_of<suffix>` parameters. `features` says which feature makes
 * plain required traits and member_of legal on the endpoint (they differ between providers and candidates).
 */
export function encodeFilter(f: TraitAndAggregateFilter, suffix: string, features: { required: Feature; memberOf: Feature }, out: Encoded): void {
  const required = f.required ?? [];
  const anyOf = f.anyOf ?? [];
  const reqValues: string[] = [];
  if (required.length) {
    reqValues.push(required.join(","));
    out.require.push(features.required);
    if (required.some((t) => t.startsWith("!"))) out.require.push("forbiddenTraits");
  }
  for (const set of anyOf) {
    if (!set.length) continue;
    // NOTE: an any-of set of one trait is a plain required trait, legal before 1.39.
    if (set.length === 1) {
      if (reqValues.length) reqValues[0] = `${reqValues[0]},${set[0]}`;
      else reqValues.push(first(set));
      out.require.push(features.required);
    } else {
      reqValues.push(`in:${set.join(",")}`);
      out.require.push("anyOfTraits");
    }
  }
  // NOTE: below 1.39 only the last `required` counts, so plain traits always travel in one parameter.
  if (reqValues.length) out.query[`required${suffix}`] = reqValues.length === 1 ? first(reqValues) : reqValues;

  const member: string[] = [];
  for (const m of f.memberOf ?? []) {
    if (typeof m === "string") member.push(m);
    else if (m.length === 1) member.push(first(m));
    else if (m.length > 1) member.push(`in:${m.join(",")}`);
  }
  const not = f.notMemberOf ?? [];
  if (not.length) {
    member.push(not.length === 1 ? `!${not[0]}` : `!in:${not.join(",")}`);
    out.require.push("forbiddenAggregates");
  }
  if (member.length) {
    out.require.push(features.memberOf);
    if (member.length > 1) out.require.push("multipleMemberOf");
    out.query[`member_of${suffix}`] = member.length === 1 ? first(member) : member;
  }
}
