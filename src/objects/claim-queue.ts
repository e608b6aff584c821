// Group commit for claims: the claims one process receives at the same time share a transaction,
// its provider locks and its commit.
//
// A claim whose consumers and providers no running transaction holds starts on the next turn of
// the event loop, with the claims that arrived in the same turn. Claims that arrive while their
// provider is held queue, and the next transaction takes them together: one lookup, one lock of
// all their providers, one capacity read. Each claim is then judged in arrival order, in memory,
// against the usage the claims before it left (as if they had run one after the other), and the
// accepted ones are written with one statement of each kind and one commit. A rejected claim writes nothing and gets the error it would have got on its own.
//
// NOTE: a hot provider's claims are serialised by its row lock, which is held until the commit's
// WAL flush; sharing the transaction spreads one lock hold and one flush over the whole batch
// instead of paying both per claim. Durability is unchanged: no claim is answered before the commit
// that holds it.
//
// On PostgreSQL and MySQL, claims that give consumers allocations skip the transaction: one read
// and one checked write for the whole batch (claim-statement.ts: a statement on PostgreSQL, a
// multi-statement script on MySQL, each in one round trip); the transaction below is their fallback,
// and their only way on a Galera node (claim-statement.ts checkedWrites).
// On MySQL the queue also remembers what its checked writes left on their providers, so a batch of
// new consumers on them is judged without the read: one round trip (claim-memo.ts).
//
// If the shared transaction fails in any way (a lost race with another process, a deadlock, a
// provider deleted meanwhile), it is rolled back and every claim of the batch runs again on its
// own, with the usual retries.
import type { Store } from "../db/open.js";
import { isDuplicateKey, isRetryable, type Tx } from "../db/tx.js";
import { ConsumerConcurrentUpdate, ProviderConcurrentUpdate, type ConsumerWrite } from "./allocation.js";
import { claimItems, firstPlanError, planClaim, unknownClass } from "./claim-plan.js";
import { bumpsPerClaim, judgeInOrder, type CapacityRow, type Live } from "./claim-judge.js";
import {
  applyClaim,
  claimTransaction,
  inClaimTransaction,
  lockProviders,
  optimisticWrites,
  readCapacity,
  replaceConsumers,
  settleOptimistic,
  writeAllocations,
  writeAndReadCapacity,
  type ClaimOptions,
} from "./claim-write.js";
import { checkedWrites, claimWithCheckedWrite } from "./claim-statement.js";
import { ClaimMemo } from "./claim-memo.js";
import { DomainError } from "./errors.js";

/** Most claims one transaction takes: bounds statement sizes and the wait of a batch's last claim. */
export const MAX_BATCH = 32;

/**
 * Transactions one queue runs at once. NOTE: claims on different providers run side by side (the
 * database groups their commits); claims on a provider a running transaction holds wait, and go
 * together in the next one.
 */
export const CONCURRENCY = 4;

interface Pending {
  writes: ConsumerWrite[];
  /** Lower-case consumer uuids. */
  consumers: string[];
  /** "c:" + consumer and "p:" + provider uuid, lower-case: what a running transaction holds. */
  keys: string[];
  resolve(): void;
  reject(e: unknown): void;
}

/** One batch the queue wrote (for metrics). */
export interface ClaimBatch {
  readonly claims: number;
  /** checked: the read-and-checked-write path; transaction: the shared transaction; alone: one by one. */
  readonly path: "checked" | "transaction" | "alone";
  /** Checked writes sent (each after a read or the memo); more than one means a generation had moved. */
  readonly writes: number;
}

export interface ClaimQueueOptions extends ClaimOptions {
  /** Transactions at once (default CONCURRENCY). */
  concurrency?: number;
  /**
   * Told when a shared transaction failed and its claims run again one by one; `expected` for
   * lost races and deadlocks, false for anything else (worth a look).
   */
  onFallback?(claims: number, error: unknown, expected: boolean): void;
  /** Told of every batch written (for metrics). */
  onBatch?(o: ClaimBatch): void;
}

/** What handlers claim through: a ClaimQueue, or something in front of one (src/claim-routing.ts). */
export interface Claims {
  /** Writes the consumers' allocations; settles once they are committed (or refused). */
  claim(writes: ConsumerWrite[]): Promise<void>;
}

export class ClaimQueue implements Claims {
  #waiting: Pending[] = [];
  #running = 0;
  #scheduled = false;
  /** Keys (see Pending) of the claims in running transactions. */
  #held = new Set<string>();
  readonly #concurrency: number;
  /** MySQL: what this queue's checked writes left on their providers (claim-memo.ts). */
  readonly #memo: ClaimMemo | undefined;

  constructor(
    private readonly store: Store,
    private readonly opts: ClaimQueueOptions,
  ) {
    this.#concurrency = Math.max(1, opts.concurrency ?? CONCURRENCY);
    this.#memo = store.caps.supportsMultiStatementQueries ? new ClaimMemo() : undefined;
  }

  /** Writes the consumers' allocations; settles once they are committed (or refused). */
  claim(writes: ConsumerWrite[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const consumers = writes.map((w) => w.uuid.toLowerCase());
      const providers = writes.flatMap((w) => [...w.allocations.keys()].map((p) => `p:${p.toLowerCase()}`));
      this.#waiting.push({ writes, consumers, keys: [...consumers.map((c) => `c:${c}`), ...providers], resolve, reject });
      // NOTE: batches start on the next turn of the event loop, once the requests that arrived
      // together have queued their claims. On SQLite a claim's transaction never waits for I/O, so
      // without this every claim started alone before the next request was even read (no batches:
      // 480-680 claims/s at 16 clients over HTTP on one provider, 1,400-1,970 with it).
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#pump();
        });
      }
    });
  }

  #pump(): void {
    while (this.#running < this.#concurrency) {
      const batch = this.#take();
      if (!batch.length) return;
      const keys = batch.flatMap((p) => p.keys);
      for (const k of keys) this.#held.add(k);
      this.#running++;
      void this.#run(batch).finally(() => {
        this.#running--;
        for (const k of keys) this.#held.delete(k);
        this.#pump();
      });
    }
  }

  /**
   * The next batch, in arrival order: claims that share no consumer or provider with a running
   * transaction, nor a consumer with each other (each is judged on the lookup made before any of
   * them wrote). A claim left waiting holds back later claims on its consumers and providers, so
   * their claims keep arrival order.
   */
  #take(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const blocked = new Set(this.#held);
    const taken = new Set<string>();
    for (const p of this.#waiting) {
      if (batch.length < MAX_BATCH && !p.keys.some((k) => blocked.has(k)) && !p.consumers.some((c) => taken.has(c))) {
        batch.push(p);
        for (const c of p.consumers) taken.add(c);
      } else {
        rest.push(p);
        for (const k of p.keys) blocked.add(k);
      }
    }
    this.#waiting = rest;
    return batch;
  }

  async #run(batch: Pending[]): Promise<void> {
    const claims = batch.map((p) => p.writes);
    const sent = { writes: 0 };
    if (await checkedWrites(this.store)) {
      // PostgreSQL, MySQL: a read and a checked write, no transaction between (claim-statement.ts).
      let outcomes: (DomainError | undefined)[] | undefined;
      try {
        outcomes = await claimWithCheckedWrite(this.store, claims, Math.max(1, this.opts.retries), this.#memo, sent);
      } catch (e) {
        // A consumer created meanwhile by another writer, or the database: the transaction below decides.
        this.opts.onFallback?.(batch.length, e, isRetryable(e) || isDuplicateKey(e));
      }
      if (outcomes) {
        this.opts.onBatch?.({ claims: batch.length, path: "checked", writes: sent.writes });
        batch.forEach((p, i) => (outcomes[i] === undefined ? p.resolve() : p.reject(outcomes[i])));
        return;
      }
    }
    // NOTE: where the database takes the optimistic single statement, a claim alone goes through
    // claimTogether too (four round trips instead of five).
    if (batch.length > 1 || this.store.caps.supportsDataModifyingCte) {
      let outcomes: (DomainError | undefined)[] | undefined;
      try {
        outcomes = await claimInSharedTransaction(this.store, claims);
      } catch (e) {
        this.opts.onFallback?.(batch.length, e, e instanceof DomainError || isRetryable(e));
      }
      if (outcomes) {
        this.opts.onBatch?.({ claims: batch.length, path: "transaction", writes: sent.writes });
        batch.forEach((p, i) => (outcomes[i] === undefined ? p.resolve() : p.reject(outcomes[i])));
        return;
      }
    }
    this.opts.onBatch?.({ claims: batch.length, path: "alone", writes: sent.writes });
    for (const p of batch) await claimAlone(this.store, this.opts, p.writes).then(p.resolve, p.reject);
  }
}

/**
 * Thrown inside a shared transaction to roll it back: with `results`, those are the claims' exact
 * answers; without, the claims are to be judged again.
 */
class RolledBack extends Error {
  constructor(readonly results?: (DomainError | undefined)[]) {
    super("claim transaction rolled back");
  }
}

/**
 * Claims (on distinct consumers) in one transaction, optimistically first where the database can
 * write and read capacity in one statement (PostgreSQL): each one's error, or undefined for those
 * written. Throws when the transaction as a whole failed (nothing written); not retried here.
 */
export function claimInSharedTransaction(store: Store, claims: ConsumerWrite[][]): Promise<(DomainError | undefined)[]> {
  const attempt = (optimistic: boolean) => claimTransaction(store).execute((trx) => claimTogether(store, trx, claims, { optimistic }));
  return attempt(true).catch((e) => {
    if (!(e instanceof RolledBack)) throw e;
    // Rolled back with exact answers, or to be judged again without optimism.
    return e.results ?? attempt(false);
  });
}

/** One claim in its own transaction, retried on lost races and deadlocks. */
export function claimAlone(store: Store, opts: ClaimOptions, writes: ConsumerWrite[]): Promise<void> {
  return inClaimTransaction(store, opts, async (trx) => {
    const plan = await planClaim(store, trx, writes, [], { lockProviders: true });
    await applyClaim(store, trx, plan);
  });
}

/**
 * Several claims (on distinct consumers) in one transaction: each one's error, or undefined for
 * those written. Throws (and the caller rolls back) when the batch as a whole cannot go on.
 */
export async function claimTogether(
  store: Store,
  trx: Tx,
  claims: ConsumerWrite[][],
  opts: { optimistic?: boolean } = {},
): Promise<(DomainError | undefined)[]> {
  // NOTE: the consumers' current allocations are read with the lookup, before any lock. They cannot
  // change unseen before the commit: every write to a consumer's allocations bumps its generation
  // or deletes it, and the consumer writes below compare generations (or insert, for consumers not
  // found) and fail the whole batch on a miss.
  const plan = await planClaim(store, trx, claims.flat(), [], { lockProviders: true });
  const results: (DomainError | undefined)[] = claims.map(() => undefined);
  // The checks each claim makes before it locks anything, on the shared lookup.
  const live: Live[] = [];
  claims.forEach((writes, i) => {
    if (!writes.length) return;
    const error = firstPlanError({ ...plan, writes }) ?? unknownClass(writes, plan.lookup);
    if (error) results[i] = error;
    else live.push({ i, writes, items: claimItems(plan, writes) });
  });
  if (!live.length) return results;

  const items = live.flatMap((l) => l.items);
  await lockProviders(
    store,
    trx,
    plan,
    items.map((it) => it.provider.uuid),
  );
  const writes = live.flatMap((l) => l.writes);
  const judge = (inv: Map<string, CapacityRow>) => judgeInOrder(live, inv, plan.lookup.allocations, results);

  if (opts.optimistic && optimisticWrites(store, plan, writes, items)) {
    // Write as if every claim fits, then judge on what the statement read before it wrote; when
    // one does not fit, roll back (and answer a lone claim at once, judge a batch again).
    const by = bumpsPerClaim(live);
    const got = await writeAndReadCapacity(store, trx, plan.lookup, writes, items, by);
    if (got.consumers !== writes.length) throw new ConsumerConcurrentUpdate();
    if (judge(got.inv).length < live.length) throw new RolledBack(live.length === 1 ? results : undefined);
    settleOptimistic(items, got, by);
    return results;
  }
  if (opts.optimistic && claims.length === 1 && live.length === 1) {
    // A lone claim that cannot go optimistic: the plain claim path, on this lookup.
    try {
      await applyClaim(store, trx, { ...plan, writes });
    } catch (e) {
      // NOTE: a moved provider generation is not an answer: the plain path retries it.
      if (e instanceof DomainError && !(e instanceof ProviderConcurrentUpdate)) throw new RolledBack([e]);
      throw e;
    }
    return results;
  }

  const accepted = judge(items.length ? await readCapacity(trx, items) : new Map<string, CapacityRow>());
  if (!accepted.length) return results;

  // The accepted claims' writes, a few statements for all of them. Every accepted claim bumps each
  // provider it touched once, as it would have alone.
  const done = accepted.flatMap((l) => l.items);
  const visited = new Set(done.map((it) => it.consumer));
  await replaceConsumers(
    store,
    trx,
    plan.lookup,
    accepted.flatMap((l) => l.writes),
    visited,
  );
  await writeAllocations(store, trx, done, visited, bumpsPerClaim(accepted));
  return results;
}
