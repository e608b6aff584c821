// Parser for the oslo.policy rule language.
//
// Grammar (precedence not > and > or, keywords case-insensitive):
//   expr := and ("or" and)*     and := unary ("and" unary)*
//   unary := "not" unary | atom  atom := CHECK | "(" expr ")"
// Malformed rules do not throw: like oslo.policy they become "never" (fail
// closed) and are reported through onError, so one bad override cannot take the
// whole service down.
import { ALWAYS, NEVER, type Check } from "./check.js";
import { at, first } from "@berth/client/common";

export type ParseErrorHandler = (message: string, rule: string) => void;

type Token = { readonly t: "(" | ")" | "and" | "or" | "not" } | { readonly t: "check"; readonly check: Check } | { readonly t: "string" };

/** A single `kind:match` token (or `@` / `!`). */
export function parseAtom(text: string, onError?: ParseErrorHandler): Check {
  if (text === "@") return ALWAYS;
  if (text === "!") return NEVER;
  const colon = text.indexOf(":");
  if (colon < 0) {
    onError?.(`cannot understand check "${text}"`, text);
    return NEVER;
  }
  const key = text.slice(0, colon);
  const match = text.slice(colon + 1);
  if (key === "rule") return { kind: "rule", name: match };
  if (key === "role") return { kind: "role", match };
  if (key === "http" || key === "https") {
    // Remote HTTP checks would call out to another server per request; Berth
    // does not support them, and failing closed is the safe reading.
    onError?.(`remote ${key} checks are not supported; treating as "!"`, text);
    return NEVER;
  }
  return { kind: "generic", key, match };
}

// Whitespace separates tokens. Parentheses only count at the edges of a token,
// because `%(project_id)s` carries parentheses inside a check.
function* tokenize(rule: string, onError?: ParseErrorHandler): Generator<Token> {
  for (const raw of rule.split(/\s+/)) {
    if (!raw) continue;
    const body = raw.replace(/^\(+/, "");
    for (let i = body.length; i < raw.length; i++) yield { t: "(" };
    if (!body) continue;
    const trimmed = body.replace(/\)+$/, "");
    const closers = body.length - trimmed.length;
    const lower = trimmed.toLowerCase();
    if (lower === "and" || lower === "or" || lower === "not") yield { t: lower };
    else if (trimmed && body.length >= 2 && /^(['"]).*\1$/s.test(body)) yield { t: "string" };
    else if (trimmed) yield { t: "check", check: parseAtom(trimmed, onError) };
    for (let i = 0; i < closers; i++) yield { t: ")" };
  }
}

class Syntax extends Error {}

function parseTokens(tokens: readonly Token[]): Check {
  let pos = 0;
  const peek = (): Token["t"] | undefined => tokens[pos]?.t;

  const expr = (): Check => {
    const parts = [conj()];
    while (peek() === "or") {
      pos++;
      parts.push(conj());
    }
    return parts.length === 1 ? first(parts) : { kind: "or", checks: parts };
  };
  const conj = (): Check => {
    const parts = [unary()];
    while (peek() === "and") {
      pos++;
      parts.push(unary());
    }
    return parts.length === 1 ? first(parts) : { kind: "and", checks: parts };
  };
  const unary = (): Check => {
    if (peek() === "not") {
      pos++;
      return { kind: "not", check: unary() };
    }
    const tok = tokens[pos++];
    if (tok?.t === "check") return tok.check;
    if (tok?.t === "(") {
      const inner = expr();
      if (tokens[pos++]?.t !== ")") throw new Syntax("unbalanced parentheses");
      return inner;
    }
    throw new Syntax(tok ? `unexpected "${tok.t}"` : "unexpected end of rule");
  };

  const result = expr();
  if (pos !== tokens.length) throw new Syntax(`unexpected "${at(tokens, pos).t}"`);
  return result;
}

/** Parse the text form. "" means always; whitespace-only is malformed, as in oslo. */
export function parseText(rule: string, onError?: ParseErrorHandler): Check {
  if (rule === "") return ALWAYS;
  try {
    return parseTokens([...tokenize(rule, onError)]);
  } catch (err) {
    if (!(err instanceof Syntax)) throw err;
    onError?.(`cannot understand rule: ${err.message}`, rule);
    return NEVER;
  }
}

/**
 * The legacy JSON list form: outer list ORs, inner lists AND, strings are
 * single checks. `[]` means always; a list of only empty lists means never.
 */
export function parseList(rule: readonly unknown[], onError?: ParseErrorHandler): Check {
  if (rule.length === 0) return ALWAYS;
  const alternatives: Check[] = [];
  for (const inner of rule) {
    const terms = typeof inner === "string" ? [inner] : Array.isArray(inner) ? inner : null;
    if (terms === null || !terms.every((t): t is string => typeof t === "string")) {
      onError?.("list rules may only hold strings and lists of strings", JSON.stringify(rule));
      return NEVER;
    }
    if (terms.length === 0) continue;
    const all = terms.map((t) => parseAtom(t, onError));
    alternatives.push(all.length === 1 ? first(all) : { kind: "and", checks: all });
  }
  if (alternatives.length === 0) return NEVER;
  return alternatives.length === 1 ? first(alternatives) : { kind: "or", checks: alternatives };
}

/** Either form, as found in a policy file value. */
export function parseRule(rule: string | readonly unknown[], onError?: ParseErrorHandler): Check {
  return typeof rule === "string" ? parseText(rule, onError) : parseList(rule, onError);
}
