// Domain errors: they know nothing about HTTP; handlers decide the status (the same "not found" is a
// 400 in one place and a 404 in another). Object modules add their own subclasses next to them.

export class DomainError extends Error {
  override name = this.constructor.name;
}

export class NotFound extends DomainError {}

/** A generation compare-and-swap lost: another writer got there first. */
export class ConcurrentUpdate extends DomainError {}

export class Duplicate extends DomainError {}
