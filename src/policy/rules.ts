// The rule language on its own: parse a check string, evaluate it. The enforcer
// builds on this; tests and tools can use it directly.
export { type Check, ALWAYS, NEVER, render } from "./check.js";
export { parseRule, parseText, parseList, parseAtom, type ParseErrorHandler } from "./parser.js";
export { evaluate, type EvalContext, type PolicyCreds } from "./evaluate.js";
