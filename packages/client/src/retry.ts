// Retrying writes that lost a generation race: the callback re-reads and re-applies each time.
import { ConflictError } from "./errors.js";

export interface RetryOptions {
  /** Attempts in all, including the first (default 5). */
  attempts?: number;
  /** Delay before attempt n (1-based retries); default a few ms growing with jitter. */
  delayMs?: (retry: number) => number;
  /** Which errors to retry (default: generation conflicts). */
  retryIf?: (e: unknown) => boolean;
}

export const isGenerationConflict = (e: unknown): boolean => e instanceof ConflictError && e.isGenerationConflict;

const defaultDelay = (retry: number) => Math.min(200, 5 * 2 ** retry) * (0.5 + Math.random());

/**
 * Runs `attempt` until it succeeds, retrying generation conflicts up to the bound. `attempt` must
 * read the current state itself, so each retry applies the change to fresh data.
 */
export async function retryOnConflict<T>(attempt: (n: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  const retryIf = opts.retryIf ?? isGenerationConflict;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (n >= attempts || !retryIf(e)) throw e;
      const ms = (opts.delayMs ?? defaultDelay)(n);
      if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    }
  }
}
