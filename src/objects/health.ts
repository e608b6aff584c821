// Whether the database answers: one cheap statement, bounded in time, shared by concurrent checks.
import { sql } from "kysely";
import type { Store } from "../db/open.js";

export type Health = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly error?: unknown };

/** How long a check waits for the database before it says the database did not answer. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 2000;

/**
 * A function that runs `SELECT 1` on the store and tells how it went within `timeoutMs`. Checks
 * that arrive while one is running share its answer, so a database that hangs does not collect a
 * queue of probes from a load balancer that keeps asking.
 */
export function databaseProbe(store: Store, timeoutMs = DEFAULT_HEALTH_TIMEOUT_MS): () => Promise<Health> {
  let running: Promise<Health> | undefined;
  const probe = async (): Promise<Health> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Health>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: `the database did not answer within ${timeoutMs} ms` }), timeoutMs);
    });
    const answer = sql`SELECT 1`.execute(store.db).then(
      (): Health => ({ ok: true }),
      (error: unknown): Health => ({ ok: false, reason: "the database cannot be reached", error }),
    );
    try {
      return await Promise.race([answer, late]);
    } finally {
      clearTimeout(timer);
    }
  };
  return () => (running ??= probe().finally(() => (running = undefined)));
}
