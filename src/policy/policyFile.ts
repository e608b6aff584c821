// Operator overrides: a YAML or JSON mapping of rule name -> check string (or
// legacy list form), read once at startup.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { PolicyFileError } from "./errors.js";

export type FileRule = string | readonly unknown[];

/**
 * oslo.policy's default file name. oslo silently runs on defaults when no file
 * exists, and our config always carries this name even when the operator never
 * set it, so only a missing file of this exact name is tolerated; any other
 * configured name that is missing is a deployment mistake we refuse to hide.
 */
export const DEFAULT_POLICY_FILE = "policy.yaml";

// NOTE: the YAML parser loads only when there is a policy file to read: most deployments have none,
// and start-up time matters.
const require = createRequire(import.meta.url);
function parseYaml(text: string): unknown {
  return (require("yaml") as typeof import("yaml")).parse(text);
}

export function resolvePolicyPath(policyFile: string, configDir?: string): string {
  return isAbsolute(policyFile) ? policyFile : resolve(configDir ?? process.cwd(), policyFile);
}

/** Read the override file; undefined when there is none to read. */
export function loadPolicyFile(policyFile: string | undefined, configDir?: string): Map<string, FileRule> | undefined {
  if (!policyFile) return undefined;
  const path = resolvePolicyPath(policyFile, configDir);
  if (!existsSync(path)) {
    if (policyFile === DEFAULT_POLICY_FILE) return undefined;
    throw new PolicyFileError(`policy file ${policyFile} not found (looked for ${path})`);
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new PolicyFileError(`cannot read policy file ${path}: ${(err as Error).message}`);
  }
  return parsePolicyDocument(text, path);
}

/**
 * oslo.policy's policy_dirs: every file of each directory, in name order, each overriding the rules
 * read before it (the policy file's too). A directory that does not exist is skipped, as oslo does
 * (the default, policy.d, usually does not); a file that cannot be read or parsed stops start-up.
 */
export function loadPolicyDirs(dirs: readonly string[], configDir?: string): Map<string, FileRule> {
  const rules = new Map<string, FileRule>();
  for (const dir of dirs) {
    const path = resolvePolicyPath(dir, configDir);
    if (!existsSync(path) || !statSync(path).isDirectory()) continue;
    for (const name of readdirSync(path).sort()) {
      const file = join(path, name);
      if (!statSync(file).isFile()) continue;
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (err) {
        throw new PolicyFileError(`cannot read policy file ${file}: ${(err as Error).message}`);
      }
      for (const [rule, check] of parsePolicyDocument(text, file)) rules.set(rule, check);
    }
  }
  return rules;
}

/** Parse file content. `origin` only labels error messages. */
export function parsePolicyDocument(text: string, origin = "policy file"): Map<string, FileRule> {
  let doc: unknown;
  try {
    doc = parseDocument(text);
  } catch (err) {
    throw new PolicyFileError(`cannot parse ${origin}: ${(err as Error).message}`);
  }
  const rules = new Map<string, FileRule>();
  if (doc === null || doc === undefined) return rules; // empty file: no overrides
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new PolicyFileError(`${origin} must be a mapping of rule names to check strings`);
  }
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    // `name:` with no value is an empty rule to oslo, i.e. always allowed.
    if (value === null) {
      rules.set(name, "");
      continue;
    }
    if (typeof value !== "string" && !Array.isArray(value)) {
      throw new PolicyFileError(`${origin}: rule "${name}" must be a check string, got ${JSON.stringify(value)}`);
    }
    rules.set(name, value);
  }
  return rules;
}

// JSON is tried first: it is valid YAML too, but the YAML parser rejects some
// legal JSON (tab indentation inside braces), and JSON.parse is exact.
function parseDocument(text: string): unknown {
  if (/^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // fall through: YAML flow style also starts with a brace
    }
  }
  return parseYaml(text);
}
