// The parsed form of a rule. A plain tagged union so rules can be compared,
// printed and evaluated without classes.
export type Check =
  | { readonly kind: "always" }
  | { readonly kind: "never" }
  | { readonly kind: "not"; readonly check: Check }
  | { readonly kind: "and"; readonly checks: readonly Check[] }
  | { readonly kind: "or"; readonly checks: readonly Check[] }
  /** `rule:NAME` — defer to another named rule. */
  | { readonly kind: "rule"; readonly name: string }
  /** `role:NAME` — NAME may contain `%(key)s`; compared case-insensitively. */
  | { readonly kind: "role"; readonly match: string }
  /** `key:match` — key is a credential path or a Python literal. */
  | { readonly kind: "generic"; readonly key: string; readonly match: string };

export const ALWAYS: Check = Object.freeze({ kind: "always" });
export const NEVER: Check = Object.freeze({ kind: "never" });

export const or = (...checks: Check[]): Check => ({ kind: "or", checks });

/** Render back to the policy language; used in logs and tests. */
export function render(check: Check): string {
  switch (check.kind) {
    case "always":
      return "@";
    case "never":
      return "!";
    case "not":
      return `not ${render(check.check)}`;
    case "and":
    case "or":
      return `(${check.checks.map(render).join(` ${check.kind} `)})`;
    case "rule":
      return `rule:${check.name}`;
    case "role":
      return `role:${check.match}`;
    case "generic":
      return `${check.key}:${check.match}`;
  }
}
