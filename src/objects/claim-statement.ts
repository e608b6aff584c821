// Claims that give consumers allocations in two round trips and no open transaction between them:
// one read, then one write that checks the read is still current. PostgreSQL writes with one
// statement (a data-modifying WITH); MySQL/MariaDB, which has none, with one script of statements
// sent in one round trip (a multi-statement query) that is its own transaction, COMMIT included.
//
// The read fetches in one statement (one snapshot) everything the claims need: consumers and their
// current allocations, classes, projects, users, consumer types, the providers with their
// generations, and their inventories with the usage against them. The claims are judged on it in
// memory, in arrival order (a consumer's current allocations given back first). The write locks the
// accepted claims' providers and their existing consumers (FOR UPDATE, in uuid order), compares
// their generations with the ones read, and only when every one is unchanged deletes the existing
// consumers' allocations, updates those consumers (generation bumped), inserts the new consumers
// and the allocations and bumps the providers' generations; it commits on its own. Removals, and
// consumers that have allocation rows but no consumer row, go the transactional way.
//
// Why this is exact: every write that adds to a provider's usage or changes its inventories bumps
// its generation (Berth's and the reference's), so a generation unchanged under the lock means the
// usage is at most the usage read, and the lock holds it there until the write commits.
// (DELETE /allocations/{consumer} lowers usage without a bump: a claim judged on the read stays
// within capacity, and one refused was refused as of the read.) Likewise every write to a
// consumer's allocations bumps its generation or deletes its row. When a generation moved, the
// write changes nothing and the claims are read and judged again; after the configured number
// of attempts they go the transactional way (lock first, then read). A claim refused on the read
// is refused as of that read, as the reference refuses on what its transaction read. Not on a
// Galera node: there a multi-statement script is not one transaction (see checkedWrites).
//
// MySQL, new consumers only: a provider whose generation moved still holds when its inventories are
// the ones the claims were judged on and the usage under the lock leaves room for everything the
// batch adds (capacity.ts usageRoom): each accepted claim then still fits, in order. With several
// processes claiming on one provider, each one's write would otherwise find the generation moved by
// the other's and go round again. The script also reads back the providers as it leaves them, which
// is what the queue judges its next claims on (claim-memo.ts).
//
// NOTE: the row locks are held for the write alone (no round trips inside a transaction). On
// PostgreSQL the statements keep their text whatever the batch size (arrays, not lists; the write
// has one text with existing consumers and one without), so PostgreSQL parses and plans each once
// per connection; MySQL plans every statement anyway, so lists are fine there.
import { sql, type RawBuilder } from "kysely";
import type { Store } from "../db/open.js";
import { nowUtc } from "../db/time.js";
import { invFromRow, usageRoom } from "./capacity.js";
import type { DomainError } from "./errors.js";
import type { ConsumerWrite } from "./allocation.js";
import { claimItems, firstPlanError, identitiesOf, unknownClass, type ClaimPlan, type Item } from "./claim-plan.js";
import { bumpsPerClaim, judgeInOrder, type CapacityRow, type Live } from "./claim-judge.js";
import { addLookupRow, emptyLookup, pick, type Lookup, type LookupRow } from "./consumer.js";
import type { ClaimMemo } from "./claim-memo.js";

type Outcomes = (DomainError | undefined)[];

/**
 * Where this path exists: the database can write and check in one round trip, and that round trip
 * is one transaction. NOTE: not on a Galera node, where the script is not one. A writeset from
 * another node aborts a local transaction that holds rows it needs (a brute-force abort), at any
 * moment; when that happens between two statements of a multi-statement query, MariaDB 10.11 rolls
 * the transaction back but does not stop the query: the statements after it run each in a
 * transaction of its own (autocommit), and one that wsrep sees as aborted is run again
 * (wsrep_retry_autocommit) after it committed. Seen on a 3-node cluster with claims through two
 * nodes: scripts that answered every statement and @berth_claim_ok = 1 without an error, after
 * which the connection was outside any transaction and the batch's allocations were missing (the
 * rollback came after the last write; 204s for claims never written), or there twice without
 * consumer rows (INSERT INTO allocations committed on its own and again by the retry); a plain
 * mysql2 script of the same shape did the same, and one statement per round trip never did. So on
 * Galera claims go the transactional way, where an aborted transaction's next statement fails
 * (a deadlock) and the claim is retried.
 */
export async function checkedWrites(store: Store): Promise<boolean> {
  if (store.caps.supportsDataModifyingCte) return true;
  if (!store.caps.supportsMultiStatementQueries || store.runScript === undefined) return false;
  // NOTE: a server that cannot be asked goes the transactional way (which then meets its error).
  return !(await (store.galera?.() ?? Promise.resolve(false)).catch(() => true));
}

/**
 * The claims' outcomes (an error, or undefined for written), or undefined when they are not for
 * this path (a removal, allocation rows without a consumer row, a project, user or type not yet
 * created) or the providers or consumers kept changing for `attempts` reads: the caller then runs
 * them in a transaction. `memo` (MySQL): what this process last wrote, to judge on instead of the
 * read where it covers the claims (claim-memo.ts).
 */
export async function claimWithCheckedWrite(
  store: Store,
  claims: readonly ConsumerWrite[][],
  attempts: number,
  memo?: ClaimMemo,
  sent?: { writes: number },
): Promise<Outcomes | undefined> {
  const all = claims.flat();
  let known = memo?.plan(all);
  for (let attempt = 0; attempt < attempts; ) {
    const remembered = known !== undefined;
    const { plan, inv } = known ?? (await read(store, all));
    known = undefined;
    if (!remembered) memo?.learn(plan.lookup, inv);
    const results: Outcomes = claims.map(() => undefined);
    const live: Live[] = [];
    let eligible = true;
    claims.forEach((writes, i) => {
      if (!writes.length) return;
      const error = firstPlanError({ ...plan, writes }) ?? unknownClass(writes, plan.lookup);
      if (error) results[i] = error;
      else if (!writes.every((w) => eligibleWrite(w, plan.lookup))) eligible = false;
      else {
        const items = claimItems(plan, writes);
        if (items.some((it) => it.used <= 0)) eligible = false;
        live.push({ i, writes, items });
      }
    });
    if (!eligible) return undefined;
    const accepted = judgeInOrder(live, inv, plan.lookup.allocations, results);
    // NOTE: remembered usage may be higher than the real one (see claim-memo.ts): a refusal is only
    // given on a read. Not an attempt: nothing was written.
    if (remembered && results.some((r) => r !== undefined)) continue;
    if (!accepted.length) return results;
    attempt++;
    if (sent) sent.writes++;
    if (store.caps.supportsDataModifyingCte) {
      if (await writeChecked(store, plan.lookup, accepted, inv, sent)) return results;
      continue;
    }
    const touched = accepted.flatMap((l) => l.items.map((it) => it.provider));
    let got: Awaited<ReturnType<typeof writeScript>>;
    try {
      got = await writeScript(store, plan.lookup, accepted, inv);
    } catch (e) {
      memo?.forget(touched.map((p) => p.uuid));
      throw e;
    }
    if (got.written) {
      // What the script left on the providers, read under its locks (other writers' claims included).
      memo?.forget(touched.map((p) => p.uuid));
      memo?.learn(got.state.lookup, got.state.inv);
      return results;
    }
    // The script read the providers afresh under its locks: judge on that next when it shows
    // what failed (a generation moved), else read everything again.
    memo?.forget(touched.map((p) => p.uuid));
    if (memo) {
      memo.learn(got.state.lookup, got.state.inv);
      if (touched.some((p) => pick(got.state.lookup.providers, p.uuid)?.generation !== p.generation)) known = memo.plan(all);
    }
  }
  return undefined;
}

/**
 * A write with allocations, whose project, user and type exist, for a new consumer (no row and no
 * allocation rows) or one that exists (its allocations are replaced).
 */
function eligibleWrite(w: ConsumerWrite, lookup: Lookup): boolean {
  return (
    w.allocations.size > 0 &&
    (pick(lookup.consumers, w.uuid) !== undefined || !lookup.allocations.has(w.uuid.toLowerCase())) &&
    pick(lookup.projects, w.project) !== undefined &&
    pick(lookup.users, w.user) !== undefined &&
    (w.consumerType === undefined || pick(lookup.types, w.consumerType) !== undefined)
  );
}

/** A lookup row, or (kind i) an inventory: a class id, total, reserved, min, max, step, ratio, used. */
interface ReadRow extends LookupRow {
  e: number | null;
  f: number | null;
  g: number | null;
  h: string | number | null;
}

/** Everything the claims need, in one statement: the lookup, and capacity keyed `${providerId}:${classId}`. */
export async function read(store: Store, writes: readonly ConsumerWrite[]): Promise<{ plan: ClaimPlan; inv: Map<string, CapacityRow> }> {
  const uniq = (a: Iterable<string>) => [...new Set(a)];
  const providers = uniq(writes.flatMap((w) => [...w.allocations.keys()]));
  const classes = uniq(writes.flatMap((w) => [...w.allocations.values()].flatMap((r) => [...r.keys()])));
  const consumers = uniq(writes.map((w) => w.uuid));
  const ids = identitiesOf(writes);
  // NOTE: PostgreSQL takes arrays (one statement text whatever the counts); MySQL lists, and a
  // list that would be empty matches nothing.
  const pg = store.caps.dialect === "postgres";
  const anyOf = (column: string, values: readonly string[]): RawBuilder<unknown> =>
    pg ? sql`${sql.ref(column)} = ANY(${values}::varchar[])` : values.length ? sql`${sql.ref(column)} IN (${sql.join(values)})` : sql`FALSE`;
  const pad = (type: string) => sql.raw(pg ? `NULL::${type}` : "NULL");
  const { rows } = await sql<ReadRow>`
    SELECT 'c' AS kind, id, uuid AS k, project_id AS a, user_id AS b, generation AS c, consumer_type_id AS d,
           ${pad("int")} AS e, ${pad("int")} AS f, ${pad("float8")} AS g, ${pad("bigint")} AS h
      FROM consumers WHERE ${anyOf("uuid", consumers)}
    UNION ALL SELECT 'r', id, name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM resource_classes WHERE ${anyOf("name", classes)}
    UNION ALL SELECT 'p', id, external_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM projects WHERE ${anyOf("external_id", uniq(ids.projects))}
    UNION ALL SELECT 'u', id, external_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM users WHERE ${anyOf("external_id", uniq(ids.users))}
    UNION ALL SELECT 't', id, name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM consumer_types WHERE ${anyOf("name", uniq(ids.types))}
    UNION ALL SELECT 'g', id, uuid, generation, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM resource_providers WHERE ${anyOf("uuid", providers)}
    UNION ALL SELECT 'a', resource_provider_id, consumer_id, resource_class_id, used, NULL, NULL, NULL, NULL, NULL, NULL FROM allocations
      WHERE ${anyOf("consumer_id", consumers)}
    UNION ALL SELECT 'i', i.resource_provider_id, rp.uuid, i.resource_class_id, i.total, i.reserved, i.min_unit, i.max_unit, i.step_size, i.allocation_ratio,
           (SELECT sum(a.used) FROM allocations a WHERE a.resource_provider_id = i.resource_provider_id AND a.resource_class_id = i.resource_class_id)
      FROM inventories i JOIN resource_providers rp ON rp.id = i.resource_provider_id JOIN resource_classes rc ON rc.id = i.resource_class_id
      WHERE ${anyOf("rp.uuid", providers)} AND ${anyOf("rc.name", classes)}`.execute(store.claimDb ?? store.db);
  const { lookup, inv } = parseRows(rows);
  lookup.allocationsRead = new Set(consumers.map((c) => c.toLowerCase()));
  const plan: ClaimPlan = { writes: [...writes], lookup, providers: new Map(lookup.providers), removed: [], locked: new Set() };
  return { plan, inv };
}

/** The read's rows: the lookup, and capacity keyed `${providerId}:${classId}`. */
function parseRows(rows: readonly ReadRow[]): { lookup: Lookup; inv: Map<string, CapacityRow> } {
  const lookup = emptyLookup();
  const inv = new Map<string, CapacityRow>();
  for (const r of rows) {
    if (r.kind !== "i") addLookupRow(lookup, r);
    else
      inv.set(
        `${Number(r.id)}:${Number(r.a)}`,
        invFromRow({ total: r.b, reserved: r.c, min_unit: r.d, max_unit: r.e, step_size: r.f, allocation_ratio: r.g, used: r.h }),
      );
  }
  return { lookup, inv };
}

/**
 * PostgreSQL: the accepted claims written with writeStatement; when a provider's generation moved
 * (another process wrote it since the read) and every consumer is new, once more at once as a
 * script that locks the providers first and then writes if the inventories are the ones judged on
 * (`judgedOn`) and the usage leaves room for what the claims add, as MySQL's script does. True
 * when written.
 * NOTE: why a script, and not the statement with the room check in it: a statement reads every
 * table as of its start, also when it waits for a row lock, so it would miss the usage the lock's
 * previous holder committed. A simple query of several statements is one transaction whose second
 * statement starts (and reads) after the first holds the locks. Without it two processes claiming on
 * one provider found each other's bump at almost every other write, each costing a read and a
 * write more (1.7 writes per batch measured with --workers 2).
 */
export async function writeChecked(
  store: Store,
  lookup: Lookup,
  accepted: readonly Live[],
  judgedOn: ReadonlyMap<string, CapacityRow>,
  sent?: { writes: number },
): Promise<boolean> {
  if (await writeStatement(store, lookup, accepted)) return true;
  if (!store.runScript || accepted.some((l) => l.writes.some((w) => pick(lookup.consumers, w.uuid) !== undefined))) return false;
  if (sent) sent.writes++;
  return writeStatement(store, lookup, accepted, judgedOn);
}

/**
 * The accepted claims' consumers, allocations and bumps, written only if every provider they touch
 * and every consumer that exists still has the generation read; true when written. PostgreSQL: one
 * statement. With `lockFirst` (new consumers only): a script that locks the providers, then writes
 * also when their generations moved but stillFitsPg holds for the inventories judged on.
 */
async function writeStatement(store: Store, lookup: Lookup, accepted: readonly Live[], lockFirst?: ReadonlyMap<string, CapacityRow>): Promise<boolean> {
  const { items, by, providers, existing, fresh: consumers, now } = whatToWrite(lookup, accepted);
  // NOTE: the providers are locked before the consumers, in the order the transactional path takes
  // them on PostgreSQL (its lookup locks the providers; the consumer update comes after). Without
  // existing consumers the consumer parts are left out (a second statement text, planned apart).
  const ok = sql`(SELECT ok FROM guard)`;
  const existingParts = existing.length
    ? sql`, ec AS (
      SELECT * FROM unnest(${existing.map(({ c }) => c.id)}::int[], ${existing.map(({ c }) => c.generation)}::int[],
                           ${existing.map(({ w }) => pick(lookup.projects, w.project)!)}::int[], ${existing.map(({ w }) => pick(lookup.users, w.user)!)}::int[],
                           ${existing.map(({ w, c }) => (w.consumerType === undefined ? c.consumerTypeId : pick(lookup.types, w.consumerType)!))}::int[])
        AS ec(id, generation, project_id, user_id, type_id)
    ), locked_consumers AS (
      SELECT co.id, co.generation FROM consumers co WHERE co.id IN (SELECT id FROM ec) ORDER BY co.uuid FOR UPDATE
    )`
    : sql``;
  const consumerGuard = existing.length
    ? sql` AND (SELECT count(*) FROM locked_consumers l JOIN ec ON ec.id = l.id AND ec.generation = l.generation) = (SELECT count(*) FROM ec)`
    : sql``;
  const existingWrites = existing.length
    ? sql`, old_allocations AS (
      DELETE FROM allocations WHERE consumer_id = ANY(${existing.map(({ w }) => w.uuid)}::varchar[]) AND ${ok}
    ), updated_consumers AS (
      UPDATE consumers co SET project_id = ec.project_id, user_id = ec.user_id, consumer_type_id = ec.type_id, generation = co.generation + 1,
             updated_at = ${now}::timestamp
        FROM ec WHERE co.id = ec.id AND ${ok}
    )`
    : sql``;
  const statement = sql<{ ok: boolean }>`
    WITH p AS (
      SELECT * FROM unnest(${providers.map((p) => p.id)}::int[], ${providers.map((p) => p.generation)}::int[], ${providers.map((p) => by.get(p.id) ?? 1)}::int[])
        AS p(id, generation, step)
    )${existingParts}, locked AS (
      SELECT rp.id, rp.generation FROM resource_providers rp WHERE rp.id IN (SELECT id FROM p) ORDER BY rp.uuid FOR UPDATE
    ), guard AS (
      SELECT ((SELECT count(*) FROM locked l JOIN p ON p.id = l.id AND p.generation = l.generation) = (SELECT count(*) FROM p)${
        lockFirst ? sql` OR ${stillFitsPg(items, lockFirst)}` : sql``
      })${consumerGuard} AS ok
    )${existingWrites}, new_consumers AS (
      INSERT INTO consumers (uuid, project_id, user_id, generation, consumer_type_id, created_at)
      SELECT c.uuid, c.project_id, c.user_id, 1, c.type_id, ${now}::timestamp
        FROM unnest(${consumers.map((w) => w.uuid)}::varchar[], ${consumers.map((w) => pick(lookup.projects, w.project)!)}::int[],
                    ${consumers.map((w) => pick(lookup.users, w.user)!)}::int[],
                    ${consumers.map((w) => (w.consumerType === undefined ? null : pick(lookup.types, w.consumerType)!))}::int[])
          AS c(uuid, project_id, user_id, type_id)
       WHERE (SELECT ok FROM guard)
    ), new_allocations AS (
      INSERT INTO allocations (resource_provider_id, consumer_id, resource_class_id, used, created_at)
      SELECT a.provider_id, a.consumer, a.class_id, a.used, ${now}::timestamp
        FROM unnest(${items.map((i) => i.provider.id)}::int[], ${items.map((i) => i.consumer)}::varchar[], ${items.map((i) => i.rcId)}::int[],
                    ${items.map((i) => i.used)}::int[])
          AS a(provider_id, consumer, class_id, used)
       WHERE (SELECT ok FROM guard)
    ), bumped AS (
      UPDATE resource_providers rp SET generation = rp.generation + p.step, updated_at = ${now}::timestamp
        FROM p WHERE rp.id = p.id AND (SELECT ok FROM guard)
    )
    SELECT (SELECT ok FROM guard) AS ok`;
  let answer: unknown;
  if (lockFirst) {
    const lock = sql`SELECT id FROM resource_providers WHERE id = ANY(${providers.map((p) => p.id)}::int[]) ORDER BY uuid FOR UPDATE`;
    const script = sql`${lock};\n${statement}`.compile(store.claimDb ?? store.db);
    const results = await store.runScript!(inlinePg(script.sql, script.parameters), []);
    answer = (results.at(-1) as { ok: unknown }[] | undefined)?.[0]?.ok;
  } else answer = (await statement.execute(store.claimDb ?? store.db)).rows[0]?.ok;
  if (!answer) return false;
  if (lockFirst) {
    // NOTE: the generations moved by other writers are not known here: the next claims read them.
    return true;
  }
  for (const p of providers) p.generation += by.get(p.id) ?? 1;
  return true;
}

/**
 * The same write, MySQL: one script in one round trip, its own transaction. The existing consumers
 * and then the providers are locked (FOR UPDATE, in uuid order: the order the transactional path
 * takes them on MySQL, consumers first), their generations compared with the ones judged on into a
 * session variable (with the new consumers' lack of allocation rows and their identities' rows,
 * which a remembered plan did not read), every write below guarded by it (none changes a row when
 * a check failed), and the variable read back before the COMMIT; when it failed, so do the
 * providers and inventories as they are under the locks. A failing statement (a consumer inserted
 * meanwhile, a deadlock) stops the script; runScript rolls it
 * back and the error goes to the caller.
 */
async function writeScript(
  store: Store,
  lookup: Lookup,
  accepted: readonly Live[],
  judgedOn: ReadonlyMap<string, CapacityRow>,
): Promise<{ written: boolean; state: { lookup: Lookup; inv: Map<string, CapacityRow> } }> {
  const { items, by, providers, existing, fresh, now } = whatToWrite(lookup, accepted);
  const ok = sql.raw("@berth_claim_ok");
  const list = (values: readonly (number | string)[]) => sql.join(values);
  const byId = (pairs: readonly (readonly [number, unknown])[]) =>
    sql`CASE id ${sql.join(
      pairs.map(([id, v]) => sql`WHEN ${id} THEN ${v}`),
      sql` `,
    )} END`;
  const unchanged = (table: "resource_providers" | "consumers", rows: readonly { id: number; generation: number }[]) =>
    sql`(SELECT count(*) FROM ${sql.table(table)} WHERE ${sql.join(
      rows.map((r) => sql`(id = ${r.id} AND generation = ${r.generation})`),
      sql` OR `,
    )}) = ${rows.length}`;
  /** Rows as a derived table (the first row names the columns), kept only when the checks passed. */
  const rowsIf = (rows: readonly RawBuilder<unknown>[]) => sql`SELECT * FROM (${sql.join(rows, sql` UNION ALL `)}) AS v WHERE ${ok}`;
  const consumerIds = existing.map(({ c }) => c.id);
  const script: RawBuilder<unknown>[] = [sql`START TRANSACTION`];
  if (existing.length) script.push(sql`SELECT id FROM consumers WHERE id IN (${list(consumerIds)}) ORDER BY uuid FOR UPDATE`);
  script.push(sql`SELECT id FROM resource_providers WHERE id IN (${list(providers.map((p) => p.id))}) ORDER BY uuid FOR UPDATE`);
  const exist = (table: "projects" | "users" | "consumer_types", ids: readonly (number | null)[]) => {
    const distinct = [...new Set(ids.filter((id): id is number => id !== null))];
    return distinct.length ? sql` AND (SELECT count(*) FROM ${sql.table(table)} WHERE id IN (${list(distinct)})) = ${distinct.length}` : sql``;
  };
  const writes = [...existing.map(({ w }) => w), ...fresh];
  // NOTE: new consumers only: the providers hold if their generations are unchanged, or else if
  // their inventories are the ones judged on and the usage now leaves room for what is added
  // (another process's claims on them since the read then cost no retry). Consumers replaced keep
  // the generation check alone (their old allocations were judged as given back).
  const providersHold = existing.length
    ? unchanged("resource_providers", providers)
    : sql`(${unchanged("resource_providers", providers)} OR (${stillFits(items, judgedOn)}))`;
  script.push(
    sql`SET ${ok} = ${providersHold}${
      existing.length
        ? sql` AND ${unchanged(
            "consumers",
            existing.map(({ c }) => c),
          )}`
        : sql``
    }${fresh.length ? sql` AND NOT EXISTS (SELECT 1 FROM allocations WHERE consumer_id IN (${list(fresh.map((w) => w.uuid))}))` : sql``}${exist(
      "projects",
      writes.map((w) => pick(lookup.projects, w.project)!),
    )}${exist(
      "users",
      writes.map((w) => pick(lookup.users, w.user)!),
    )}${exist(
      "consumer_types",
      writes.map((w) => (w.consumerType === undefined ? null : pick(lookup.types, w.consumerType)!)),
    )}`,
  );
  if (existing.length) {
    script.push(sql`DELETE FROM allocations WHERE ${ok} AND consumer_id IN (${list(existing.map(({ w }) => w.uuid))})`);
    script.push(sql`UPDATE consumers SET project_id = ${byId(existing.map(({ w, c }) => [c.id, pick(lookup.projects, w.project)!]))},
      user_id = ${byId(existing.map(({ w, c }) => [c.id, pick(lookup.users, w.user)!]))},
      consumer_type_id = ${byId(existing.map(({ w, c }) => [c.id, w.consumerType === undefined ? c.consumerTypeId : pick(lookup.types, w.consumerType)!]))},
      generation = generation + 1, updated_at = ${now}
      WHERE ${ok} AND id IN (${list(consumerIds)})`);
  }
  if (fresh.length)
    script.push(
      sql`INSERT INTO consumers (uuid, project_id, user_id, generation, consumer_type_id, created_at) ${rowsIf(
        fresh.map(
          (w) =>
            sql`SELECT ${w.uuid} AS uuid, ${pick(lookup.projects, w.project)!} AS project_id, ${pick(lookup.users, w.user)!} AS user_id, 1 AS generation,
                     ${w.consumerType === undefined ? null : pick(lookup.types, w.consumerType)!} AS consumer_type_id, ${now} AS created_at`,
        ),
      )}`,
    );
  script.push(
    sql`INSERT INTO allocations (resource_provider_id, consumer_id, resource_class_id, used, created_at) ${rowsIf(
      items.map(
        (i) =>
          sql`SELECT ${i.provider.id} AS resource_provider_id, ${i.consumer} AS consumer_id, ${i.rcId} AS resource_class_id, ${i.used} AS used, ${now} AS created_at`,
      ),
    )}`,
  );
  script.push(sql`UPDATE resource_providers SET generation = generation + ${byId(providers.map((p) => [p.id, by.get(p.id) ?? 1]))}, updated_at = ${now}
    WHERE ${ok} AND id IN (${list(providers.map((p) => p.id))})`);
  script.push(sql`SELECT ${ok} AS ok`);
  // The providers as they are now, under the locks (written or not): what the next claims on them
  // are judged on. NOTE: the same columns as the read's (ReadRow), for its parser.
  const pids = list(providers.map((p) => p.id));
  script.push(sql`SELECT 'g' AS kind, id, uuid AS k, generation AS a, NULL AS b, NULL AS c, NULL AS d, NULL AS e, NULL AS f, NULL AS g, NULL AS h
      FROM resource_providers WHERE id IN (${pids})
    UNION ALL SELECT 'i', i.resource_provider_id, rp.uuid, i.resource_class_id, i.total, i.reserved, i.min_unit, i.max_unit, i.step_size, i.allocation_ratio,
           (SELECT sum(a.used) FROM allocations a WHERE a.resource_provider_id = i.resource_provider_id AND a.resource_class_id = i.resource_class_id)
      FROM inventories i JOIN resource_providers rp ON rp.id = i.resource_provider_id
     WHERE i.resource_provider_id IN (${pids}) AND i.resource_class_id IN (${list([...new Set(items.map((i) => i.rcId))])})`);
  script.push(sql`COMMIT`);
  const q = sql.join(script, sql`;\n`).compile(store.claimDb ?? store.db);
  const results = await store.runScript!(q.sql, q.parameters);
  const answer = results[script.length - 3] as { ok: unknown }[] | undefined;
  const state = parseRows(results[script.length - 2] as ReadRow[]);
  const written = Number(answer?.[0]?.ok) === 1;
  if (written) for (const p of providers) p.generation = pick(state.lookup.providers, p.uuid)?.generation ?? p.generation + (by.get(p.id) ?? 1);
  return { written, state };
}

/**
 * SQL true when every inventory the items draw on is still the one they were judged on (`inv`)
 * and its usage now leaves room for all they add: then each accepted claim still fits, in order.
 * NOTE: allocation_ratio is a FLOAT column; the value judged on is the driver's reading of its
 * text, so the check compares that text (CAST AS CHAR, on every MySQL and MariaDB) with the
 * number's. A ratio whose two texts differ (an exponent, say) fails the check, and the claims are
 * judged again: slower, never wrong.
 */
function stillFits(items: readonly Item[], inv: ReadonlyMap<string, CapacityRow>): RawBuilder<unknown> {
  const checks = [...addedByInventory(items)].map(([k, a]) => {
    const r = inv.get(k);
    if (!r) return sql`FALSE`;
    return sql`(SELECT count(*) FROM inventories WHERE resource_provider_id = ${a.provider} AND resource_class_id = ${a.rc} AND total = ${r.total}
        AND reserved = ${r.reserved} AND min_unit = ${r.minUnit} AND max_unit = ${r.maxUnit} AND step_size = ${r.stepSize}
        AND CAST(allocation_ratio AS CHAR) = ${String(r.ratio)}) = 1
      AND (SELECT coalesce(sum(used), 0) FROM allocations WHERE resource_provider_id = ${a.provider} AND resource_class_id = ${a.rc}) <= ${usageRoom(r, a.used)}`;
  });
  return sql.join(checks, sql` AND `);
}

/**
 * PostgreSQL's form of stillFits: every inventory the items draw on is the one judged on (`inv`)
 * and its usage now leaves room for all they add. NOTE: allocation_ratio is a double precision
 * column, read as a JavaScript number, whose shortest text reads back as the same double.
 */
function stillFitsPg(items: readonly Item[], inv: ReadonlyMap<string, CapacityRow>): RawBuilder<unknown> {
  const rows = [...addedByInventory(items)].map(([k, a]) => ({ a, r: inv.get(k) }));
  const known = rows.flatMap(({ a, r }) => (r ? [{ a, r }] : []));
  if (known.length < rows.length) return sql`FALSE`;
  const col = <T>(f: (x: (typeof known)[number]) => T) => known.map(f);
  return sql`(SELECT bool_and(
      (SELECT count(*) FROM inventories i WHERE i.resource_provider_id = n.provider_id AND i.resource_class_id = n.class_id AND i.total = n.total
          AND i.reserved = n.reserved AND i.min_unit = n.min_unit AND i.max_unit = n.max_unit AND i.step_size = n.step_size
          AND i.allocation_ratio = n.ratio) = 1
      AND (SELECT coalesce(sum(a.used), 0) FROM allocations a WHERE a.resource_provider_id = n.provider_id AND a.resource_class_id = n.class_id) <= n.room)
    FROM unnest(${col((x) => x.a.provider)}::int[], ${col((x) => x.a.rc)}::int[], ${col((x) => x.r.total)}::int[], ${col((x) => x.r.reserved)}::int[],
                ${col((x) => x.r.minUnit)}::int[], ${col((x) => x.r.maxUnit)}::int[], ${col((x) => x.r.stepSize)}::int[], ${col((x) => x.r.ratio)}::float8[],
                ${col((x) => usageRoom(x.r, x.a.used))}::bigint[])
      AS n(provider_id, class_id, total, reserved, min_unit, max_unit, step_size, ratio, room))`;
}

/**
 * A compiled PostgreSQL statement with its parameters written in as literals, for the simple
 * query protocol (which takes several statements, and no parameters). Numbers (finite), strings,
 * booleans, null and arrays of those; anything else is refused.
 */
export function inlinePg(text: string, parameters: readonly unknown[]): string {
  const literal = (v: unknown): string => {
    if (v === null || v === undefined) return "NULL";
    if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new RangeError(`no SQL literal for ${v}`);
      return String(v);
    }
    // NOTE: as pg's escapeLiteral: a backslash makes it an E'' string, whatever standard_conforming_strings says.
    if (typeof v === "string") return v.includes("\\") ? ` E'${v.replace(/\\/g, "\\\\").replace(/'/g, "''")}'` : `'${v.replace(/'/g, "''")}'`;
    if (Array.isArray(v)) return `ARRAY[${v.map(literal).join(", ")}]`;
    throw new TypeError(`no SQL literal for a ${typeof v}`);
  };
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= parameters.length) throw new RangeError(`no parameter $${n}`);
    return literal(parameters[i]);
  });
}

/** What the items add to each inventory, keyed `${providerId}:${classId}` as capacity rows are. */
function addedByInventory(items: readonly Item[]): Map<string, { provider: number; rc: number; used: number }> {
  const added = new Map<string, { provider: number; rc: number; used: number }>();
  for (const it of items) {
    const k = `${it.provider.id}:${it.rcId}`;
    const a = added.get(k) ?? { provider: it.provider.id, rc: it.rcId, used: 0 };
    a.used += it.used;
    added.set(k, a);
  }
  return added;
}

/** What the accepted claims write: items, bumps, providers, existing and new consumers (in uuid order). */
function whatToWrite(lookup: Lookup, accepted: readonly Live[]) {
  const items = accepted.flatMap((l) => l.items);
  const by = bumpsPerClaim(accepted);
  const providers = [...new Map(items.map((i) => [i.provider.id, i.provider])).values()];
  // Consumers in uuid order (the order their unique index is written in, as elsewhere).
  const writes = accepted.flatMap((l) => l.writes).sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
  const existing = writes.flatMap((w) => {
    const c = pick(lookup.consumers, w.uuid);
    return c ? [{ w, c }] : [];
  });
  const fresh = writes.filter((w) => !pick(lookup.consumers, w.uuid));
  return { items, by, providers, existing, fresh, now: nowUtc() };
}
