// Public surface of the policy engine.
export { createEnforcer, type Enforcer, type EnforcerOptions, type PolicyLogger } from "./enforcer.js";
export { defaultTarget, tokenScope, toPolicyCreds, type Credentials, type TokenScope } from "./credentials.js";
export { PolicyFileError, PolicyNotAuthorized, PolicyNotRegistered } from "./errors.js";
export { DEFAULT_POLICY_FILE, loadPolicyFile, parsePolicyDocument, resolvePolicyPath } from "./policyFile.js";
export * from "./rules.js";
