// The Berth SDK for the Placement API: import from here. It depends on nothing but global fetch.
export { PlacementClient } from "./client.js";
export type { ClientOptions, CallOptions, Reply } from "./transport.js";
export {
  staticToken,
  KeystonePasswordAuth,
  KeystoneApplicationCredentialAuth,
  KeystoneTokenAuth,
  type Auth,
  type KeystoneCommonOptions,
  type KeystoneScopeOptions,
  type KeystonePasswordOptions,
  type KeystoneApplicationCredentialOptions,
  type KeystoneTokenOptions,
} from "./auth.js";
export * from "./errors.js";
export { FEATURES, chooseVersion, compareVersions, has, MicroversionError, type Feature, type ServerRange, type VersionNeeds } from "./versions.js";
export { retryOnConflict, isGenerationConflict, type RetryOptions } from "./retry.js";
export {
  candidateRequest,
  CandidateRequestBuilder,
  GroupBuilder,
  encodeCandidateRequest,
  type CandidateRequest,
  type GroupSpec,
} from "./candidates.js";
export type { TraitAndAggregateFilter } from "./query.js";
export type { ProviderFilter, NewProvider, ProviderUpdate, ProviderNode } from "./resources/providers.js";
export type { TraitFilter } from "./resources/traits.js";
export type { UsageFilter } from "./resources/usages.js";
export {
  CapabilityRefused,
  type CapabilityType,
  type OperationCapability,
  type Refusal,
  type ServiceCapabilities,
  type TypeCapabilities,
  type InstanceCapabilities,
} from "./resources/capabilities.js";
export type {
  CandidateExplanation,
  ExplainConstraint,
  ExplainFailure,
  ExplainGroup,
  ExplainStep,
  NamedProvider,
  NearMiss,
} from "./resources/allocation-candidates.js";
export * from "./types.js";
export {
  Scheduler,
  Migrations,
  NoValidHostError,
  packWeigher,
  spreadWeigher,
  freeFractionAfter,
  type Weigher,
  type WeighInput,
  type Selection,
  type Choice,
  type Owner,
  type SelectOptions,
} from "./scheduler.js";
