// The policy enforcer: registered placement defaults, overlaid with the
// operator's policy file, evaluated per request.
import { ALL_DEFAULTS, type RuleDefault } from "../policies/index.js";
import { or, render, type Check } from "./check.js";
import { tokenScope, toPolicyCreds, type Credentials } from "./credentials.js";
import { PolicyNotAuthorized, PolicyNotRegistered } from "./errors.js";
import { evaluate } from "./evaluate.js";
import { parseRule, parseText, type ParseErrorHandler } from "./parser.js";
import { loadPolicyDirs, loadPolicyFile, type FileRule } from "./policyFile.js";

export interface PolicyLogger {
  warn(message: string): void;
  debug?(message: string): void;
}

export interface EnforcerOptions {
  /** [oslo_policy] policy_file; relative paths resolve against configDir. */
  policyFile?: string;
  /** [oslo_policy] policy_dirs: their files override the policy file's rules, in name order. */
  policyDirs?: readonly string[];
  /** false: rules not overridden also accept their deprecated legacy check. */
  enforceNewDefaults: boolean;
  /** false: a token of the wrong scope is only warned about. */
  enforceScope: boolean;
  configDir?: string;
  /** Registered defaults; all of placement's unless a test narrows them. */
  defaults?: readonly RuleDefault[];
  logger?: PolicyLogger;
}

export interface Enforcer {
  /**
   * Throws PolicyNotAuthorized unless `creds` may perform `ruleName` on
   * `target`. Handlers pass defaultTarget(creds) unless the API says otherwise
   * (GET /usages passes the queried project_id). Throws PolicyNotRegistered for
   * an unknown rule name.
   */
  authorize(ruleName: string, target: Readonly<Record<string, unknown>>, creds: Credentials): void;
  /** As authorize, answering false instead of throwing PolicyNotAuthorized. */
  check(ruleName: string, target: Readonly<Record<string, unknown>>, creds: Credentials): boolean;
  /** The effective check string of a rule, for diagnostics; undefined if unknown. */
  describe(ruleName: string): string | undefined;
}

// oslo's policy_default_rule: a `rule:` reference to an undefined name falls
// back to the rule called "default" when the operator defined one.
const DEFAULT_RULE = "default";

export function createEnforcer(opts: EnforcerOptions): Enforcer {
  const logger = opts.logger ?? { warn: (m: string) => console.warn(m) };
  const onError: ParseErrorHandler = (message, rule) => logger.warn(`policy rule "${rule}": ${message}`);
  const registered = new Map((opts.defaults ?? ALL_DEFAULTS).map((d) => [d.name, d]));
  const fileRules = loadPolicyFile(opts.policyFile, opts.configDir) ?? new Map<string, FileRule>();
  for (const [name, check] of loadPolicyDirs(opts.policyDirs ?? [], opts.configDir)) fileRules.set(name, check);
  const rules = buildRules(registered, fileRules, opts.enforceNewDefaults, onError);
  warnUndefinedReferences(rules, logger);
  const warnedScopes = new Set<string>();

  const resolve = (name: string): Check | undefined => rules.get(name) ?? rules.get(DEFAULT_RULE);

  function scopeAllows(rule: RuleDefault, creds: Credentials): boolean {
    const scope = tokenScope(creds);
    if (rule.scopeTypes.length === 0 || rule.scopeTypes.includes(scope)) return true;
    const key = `${rule.name}\0${scope}`;
    if (!warnedScopes.has(key)) {
      // Once per rule and scope: this fires on every request otherwise.
      warnedScopes.add(key);
      logger.warn(
        `Policy ${rule.name} failed scope check. The token used to make the request was ${scope} ` +
          `scoped but the policy requires ${JSON.stringify(rule.scopeTypes)} scope.`,
      );
    }
    return !opts.enforceScope;
  }

  function check(ruleName: string, target: Readonly<Record<string, unknown>>, creds: Credentials): boolean {
    const rule = registered.get(ruleName);
    if (!rule) throw new PolicyNotRegistered(ruleName);
    if (!scopeAllows(rule, creds)) return false;
    const allowed = evaluate(rules.get(ruleName)!, { target, creds: toPolicyCreds(creds), resolve });
    if (!allowed) {
      logger.debug?.(`Policy check for ${ruleName} failed with credentials ${JSON.stringify(toPolicyCreds(creds))}`);
    }
    return allowed;
  }

  return {
    check,
    authorize(ruleName, target, creds) {
      if (!check(ruleName, target, creds)) throw new PolicyNotAuthorized(ruleName);
    },
    describe(ruleName) {
      const found = rules.get(ruleName);
      return found && render(found);
    },
  };
}

/** File rules win by name; every registered default fills in what the file left out. */
function buildRules(
  registered: ReadonlyMap<string, RuleDefault>,
  fileRules: ReadonlyMap<string, FileRule>,
  enforceNewDefaults: boolean,
  onError: ParseErrorHandler,
): Map<string, Check> {
  const fromFile = new Map<string, Check>();
  for (const [name, raw] of fileRules) fromFile.set(name, parseRule(raw, onError));
  const rules = new Map(fromFile);
  for (const def of registered.values()) {
    if (!rules.has(def.name)) rules.set(def.name, defaultCheck(def, fromFile, enforceNewDefaults, onError));
  }
  return rules;
}

// oslo.policy's handling of a default that replaced an older one. Called only
// for rules the file does not override by their current name.
function defaultCheck(def: RuleDefault, fileChecks: ReadonlyMap<string, Check>, enforceNewDefaults: boolean, onError: ParseErrorHandler): Check {
  const current = parseText(def.checkStr, onError);
  const old = def.deprecatedRule;
  if (!old) return current;
  const legacy = parseText(old.checkStr, onError);
  // An operator who customised the rule under its old name keeps that
  // customisation on upgrade (unless it merely points at the new name), so
  // renaming a rule never silently widens access.
  const customised = old.name !== def.name ? fileChecks.get(old.name) : undefined;
  if (customised) {
    const text = render(customised);
    if (text !== render(legacy) && text !== `rule:${def.name}`) return customised;
  }
  if (!enforceNewDefaults && old.checkStr !== def.checkStr) return or(current, legacy);
  return current;
}

// Operators mistype rule names; a reference to nothing silently denies, so say
// so once at startup (as oslo does) rather than leave a mystery 403.
function warnUndefinedReferences(rules: ReadonlyMap<string, Check>, logger: PolicyLogger): void {
  const dangling = [...rules].filter(([, check]) => references(check).some((n) => !rules.has(n)));
  if (dangling.length > 0) {
    logger.warn(`Policies ${JSON.stringify(dangling.map(([name]) => name))} reference a rule that is not defined.`);
  }
}

function references(check: Check): string[] {
  switch (check.kind) {
    case "rule":
      return [check.name];
    case "not":
      return references(check.check);
    case "and":
    case "or":
      return check.checks.flatMap(references);
    default:
      return [];
  }
}
