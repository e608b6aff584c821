// Microversions as data: which API feature needs which version, and how a call's version is chosen.

/** A placement microversion, "1.N". */
export type VersionString = `${number}.${number}`;

/**
 * The lowest microversion each feature needs, one line per feature. A call lists the features it
 * uses; the client sends the highest of their versions (never more than the call needs).
 */
export const FEATURES = Object.freeze({
  providerAggregates: "1.1", // GET/PUT /resource_providers/{uuid}/aggregates
  resourceClasses: "1.2", // /resource_classes
  providersMemberOf: "1.3", // member_of on GET /resource_providers
  providersResources: "1.4", // resources on GET /resource_providers
  deleteAllInventories: "1.5", // DELETE /resource_providers/{uuid}/inventories
  traits: "1.6", // /traits and /resource_providers/{uuid}/traits
  ensureResourceClass: "1.7", // bodiless PUT /resource_classes/{name}
  usagesByProject: "1.9", // GET /usages
  allocationCandidates: "1.10", // GET /allocation_candidates
  allocationsDictForm: "1.12", // PUT /allocations in dict form; dict allocation_requests in candidates
  postAllocations: "1.13", // POST /allocations (several consumers at once)
  providerTree: "1.14", // parent_provider_uuid/root_provider_uuid, in_tree on GET /resource_providers
  lastModified: "1.15", // last-modified and cache-control headers
  candidatesLimit: "1.16", // limit on GET /allocation_candidates
  candidatesRequired: "1.17", // required traits on GET /allocation_candidates (and traits in summaries)
  providersRequired: "1.18", // required traits on GET /resource_providers
  aggregateGenerations: "1.19", // provider generation in the aggregates body and reply
  createReturnsProvider: "1.20", // POST /resource_providers answers 200 with the provider
  candidatesMemberOf: "1.21", // member_of on GET /allocation_candidates
  forbiddenTraits: "1.22", // !TRAIT in required
  errorCodes: "1.23", // `code` in error bodies
  multipleMemberOf: "1.24", // member_of given more than once
  granularGroups: "1.25", // resourcesN, requiredN, member_ofN, group_policy
  reservedEqualsTotal: "1.26", // inventory with reserved == total
  summariesAllResources: "1.27", // provider_summaries list every class of a provider
  consumerGenerations: "1.28", // consumer_generation on allocations
  nestedCandidates: "1.29", // candidates spanning provider trees
  reshaper: "1.30", // POST /reshaper
  candidatesInTree: "1.31", // in_tree and in_treeN on GET /allocation_candidates
  forbiddenAggregates: "1.32", // member_of=!agg and !in:...
  namedGroupSuffixes: "1.33", // granular suffixes like _NET1 (not only numbers)
  allocationMappings: "1.34", // mappings in allocation requests and allocation bodies
  rootRequired: "1.35", // root_required on GET /allocation_candidates
  sameSubtree: "1.36", // same_subtree and resourceless groups
  reparenting: "1.37", // change or drop a provider's parent
  consumerTypes: "1.38", // consumer_type on allocations, usages by consumer type
  anyOfTraits: "1.39", // required=in:T1,T2
} as const satisfies Record<string, VersionString>);

export type Feature = keyof typeof FEATURES;

export interface Version {
  readonly major: number;
  readonly minor: number;
}

export function parseVersion(s: string): Version {
  const m = /^(\d+)\.(\d+)$/.exec(s.trim());
  if (!m) throw new TypeError(`not a microversion: ${JSON.stringify(s)}`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  return x.major - y.major || x.minor - y.minor;
}

export const maxVersion = (a: string, b: string): string => (compareVersions(a, b) >= 0 ? a : b);

/** The server's supported range, from GET /. */
export interface ServerRange {
  readonly min: string;
  readonly max: string;
}

/** Thrown before any request when the call cannot be made at an acceptable version. */
export class MicroversionError extends Error {
  constructor(
    message: string,
    readonly needed: string,
    readonly features: readonly Feature[],
  ) {
    super(message);
    this.name = "MicroversionError";
  }
}

export interface VersionNeeds {
  /** Features the call cannot do without. */
  require?: readonly (Feature | false | undefined)[];
  /** Features that only improve the reply; used when the server has them. */
  prefer?: readonly (Feature | false | undefined)[];
}

const present = (fs: readonly (Feature | false | undefined)[] | undefined): Feature[] => (fs ?? []).filter((f): f is Feature => typeof f === "string");

/**
 * The version to send: the highest version a required feature needs, raised by preferred
 * features the server (or the pinned version) allows. `pinned` (a per-call or per-client override)
 * is sent as is, after checking it against the server and the required features.
 */
export function chooseVersion(needs: VersionNeeds, range: ServerRange, pinned?: string): string {
  const required = present(needs.require);
  const floor = required.reduce<string>((v, f) => maxVersion(v, FEATURES[f]), range.min === "1.0" ? "1.0" : range.min);
  const blocking = (limit: string) => required.filter((f) => compareVersions(FEATURES[f], limit) > 0);
  if (pinned !== undefined) {
    parseVersion(pinned);
    const missing = blocking(pinned);
    if (missing.length)
      throw new MicroversionError(
        `microversion ${pinned} was requested, but ${describe(missing)} ${missing.length > 1 ? "need" : "needs"} ${floor}`,
        floor,
        missing,
      );
    if (compareVersions(pinned, range.min) < 0 || compareVersions(pinned, range.max) > 0)
      throw new MicroversionError(`microversion ${pinned} is outside the server's range ${range.min}-${range.max}`, pinned, required);
    return pinned;
  }
  const missing = blocking(range.max);
  if (missing.length)
    throw new MicroversionError(
      `the server supports microversions up to ${range.max}, but ${describe(missing)} ${missing.length > 1 ? "need" : "needs"} ${floor}`,
      floor,
      missing,
    );
  return present(needs.prefer).reduce((v, f) => (compareVersions(FEATURES[f], range.max) <= 0 ? maxVersion(v, FEATURES[f]) : v), floor);
}

function describe(fs: Feature[]): string {
  return fs.join(", ");
}

/** Whether `version` has a feature (for reading replies whose shape depends on the version). */
export const has = (version: string, feature: Feature): boolean => compareVersions(version, FEATURES[feature]) >= 0;
