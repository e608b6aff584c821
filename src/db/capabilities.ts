// Where the three databases really differ, as named capabilities rather than copied queries.
export type Dialect = "sqlite" | "postgres" | "mysql";

export interface Capabilities {
  readonly dialect: Dialect;
  /** INSERT ... RETURNING id (PostgreSQL, SQLite); MySQL reports insertId instead. */
  readonly supportsReturning: boolean;
  /** SELECT ... FOR UPDATE row locks (not SQLite, whose writers are serialized anyway). */
  readonly supportsForUpdate: boolean;
  /** Several processes may write concurrently (not an in-memory SQLite database). */
  readonly multiWriter: boolean;
  /** INSERT/UPDATE/DELETE inside WITH, run as part of the statement that follows (PostgreSQL only). */
  readonly supportsDataModifyingCte: boolean;
  /** SELECT ... FOR UPDATE inside WITH, read by the statement that follows (PostgreSQL only). */
  readonly supportsLockingCte: boolean;
  /**
   * Several statements with parameters in one round trip (MySQL's multi-statement queries,
   * Store.runScript); PostgreSQL takes several only without parameters, SQLite's driver not at all.
   */
  readonly supportsMultiStatementQueries: boolean;
}

export function capabilitiesFor(dialect: Dialect): Capabilities {
  return Object.freeze({
    dialect,
    supportsReturning: dialect !== "mysql",
    supportsForUpdate: dialect !== "sqlite",
    multiWriter: dialect !== "sqlite",
    supportsDataModifyingCte: dialect === "postgres",
    supportsLockingCte: dialect === "postgres",
    supportsMultiStatementQueries: dialect === "mysql",
  });
}
