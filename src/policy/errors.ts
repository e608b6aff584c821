// Domain errors for policy enforcement. No HTTP here: the web layer maps
// PolicyNotAuthorized to 403 and the others to 500.

/**
 * The caller may not perform `action`. The message text is the reference's
 * PolicyNotAuthorized wording, which clients see verbatim in the 403 detail.
 * A token of the wrong scope (when scope is enforced) raises this same error:
 * the reference converts oslo's InvalidScope into it, so the two are
 * indistinguishable to clients.
 */
export class PolicyNotAuthorized extends Error {
  override readonly name = "PolicyNotAuthorized";
  constructor(readonly action: string) {
    super(`Policy does not allow ${action} to be performed.`);
  }
}

/** A handler asked about a rule no one registered: a programming error. */
export class PolicyNotRegistered extends Error {
  override readonly name = "PolicyNotRegistered";
  constructor(readonly ruleName: string) {
    super(`Policy ${ruleName} has not been registered`);
  }
}

/** The configured policy file is missing or malformed. Raised at load time. */
export class PolicyFileError extends Error {
  override readonly name = "PolicyFileError";
}
