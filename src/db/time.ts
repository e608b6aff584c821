// Timestamps are naive UTC in every database, as the reference writes them.

/** 'YYYY-MM-DD HH:MM:SS' in UTC, the form all three databases accept for a DATETIME. */
export function nowUtc(clock: () => Date = () => new Date()): string {
  return clock().toISOString().slice(0, 19).replace("T", " ");
}

/** Reads a stored timestamp (string from SQLite, Date from PostgreSQL/MySQL) as a UTC Date. */
export function fromDb(v: string | Date | null | undefined): Date | undefined {
  if (v == null) return undefined;
  if (v instanceof Date) return v;
  return new Date(v.replace(" ", "T") + (/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? "" : "Z"));
}
