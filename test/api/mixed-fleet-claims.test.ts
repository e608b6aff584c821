// A mixed fleet under concurrent claims: the reference (gunicorn, 2 workers) and `berth serve` on
// ONE database at once. On PostgreSQL 16 clients, half through each, claim and replace allocations
// on a provider of capacity 8: usage (read from the database throughout) never exceeds capacity,
// Berth never answers 5xx, and the provider generation ends at its start plus the number of
// successful writes (each bumped it exactly once, whichever server wrote). Skipped with a note where
// the reference is not installed (required under CI=true).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import mysql from "mysql2/promise";
import { createDatabase, DIALECTS } from "../helpers/databases.js";
import { referenceAvailable, startBerth, startReference, type Served } from "../helpers/reference.js";
import { at, first } from "@berth/client/common";

const run = referenceAvailable("the mixed-fleet claims test (test/api/mixed-fleet-claims.test.ts)", true);

const TOTAL = 10;
const RESERVED = 2;
/** (total - reserved) * allocation_ratio, the most the provider may hold. */
const CAPACITY = (TOTAL - RESERVED) * 1;
const CLIENTS = 16;
const OPS = 16;

async function send(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { "x-auth-token": "admin", "openstack-api-version": "placement 1.28" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

/** The provider's usage of VCPU and its generation, read from the database itself. */
type Probe = (rp: string) => Promise<{ used: number; generation: number }>;
const QUERY = `SELECT (SELECT COALESCE(SUM(a.used), 0) FROM allocations a WHERE a.resource_provider_id = p.id AND a.resource_class_id = 0) AS used, p.generation AS generation FROM resource_providers p WHERE p.uuid = `;

async function prober(dialect: "postgres" | "mysql", url: string): Promise<{ probe: Probe; close(): Promise<void> }> {
  if (dialect === "postgres") {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    return {
      probe: async (rp) => {
        const row = (await pool.query(`${QUERY}$1`, [rp])).rows[0];
        return { used: Number(row.used), generation: Number(row.generation) };
      },
      close: () => pool.end(),
    };
  }
  const conn = await mysql.createConnection({ uri: url.replace(/\+\w+/, "").replace(/\?.*$/, "") });
  return {
    probe: async (rp) => {
      const [rows] = await conn.query(`${QUERY}?`, [rp]);
      const row = first(rows as Record<string, unknown>[]);
      return { used: Number(row.used), generation: Number(row.generation) };
    },
    close: () => conn.end(),
  };
}

for (const dialect of DIALECTS.filter((d): d is "postgres" | "mysql" => d !== "sqlite")) {
  describe.runIf(run)(`mixed fleet: the reference (gunicorn, 2 workers) and Berth claim on one database [${dialect}]`, () => {
    let dir: string;
    let drop: () => Promise<void> = async () => {};
    let ref: Served;
    let berth: Served;
    let db: Awaited<ReturnType<typeof prober>>;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "berth-fleet-"));
      const made = await createDatabase(dialect);
      drop = made.drop;
      ref = await startReference(made.url, dir, 2);
      berth = await startBerth(made.url, dir);
      db = await prober(dialect, made.url);
    }, 120_000);

    afterAll(async () => {
      await berth?.stop();
      await ref?.stop();
      await db?.close();
      await drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** A provider of capacity 8 made through the reference, with `held` consumers of 1 VCPU each (made alternately through both). */
    const provider = async (held: number) => {
      const rp = crypto.randomUUID();
      expect((await send(ref.base, "POST", "/resource_providers", { name: `fleet-${rp}`, uuid: rp })).status).toBe(200);
      const inv = await send(ref.base, "PUT", `/resource_providers/${rp}/inventories`, {
        resource_provider_generation: 0,
        inventories: { VCPU: { total: TOTAL, reserved: RESERVED, allocation_ratio: 1 } },
      });
      expect(inv.status).toBe(200);
      const consumers: string[] = [];
      for (let i = 0; i < held; i++) {
        const c = crypto.randomUUID();
        const r = await send(i % 2 ? berth.base : ref.base, "PUT", `/allocations/${c}`, claim(rp, 1, null));
        expect(r.status).toBe(204);
        consumers.push(c);
      }
      return { rp, consumers };
    };
    const claim = (rp: string, vcpu: number, generation: number | null) => ({
      allocations: { [rp]: { resources: { VCPU: vcpu } } },
      project_id: "fleet",
      user_id: "fleet",
      consumer_generation: generation,
    });

    /**
     * One client's work through `base`, in a cycle: claim 1 VCPU for a new consumer of its own;
     * replace a shared consumer's allocation (1 VCPU <-> 2, with the consumer generation it read,
     * so clients race on consumers too); grow its own consumer to 2; delete its own consumer's
     * allocations (room for the next claims). Answers how many writes bumped the provider (claims
     * and replacements that succeeded; a DELETE bumps no generation, in the reference as in Berth),
     * how many deletes succeeded, and every status seen.
     */
    const client = async (base: string, rp: string, shared: string[], seed: number) => {
      let wrote = 0;
      let deleted = 0;
      const statuses: number[] = [];
      let mine: string | undefined;
      const replace = async (c: string, vcpu: (now: number) => number) => {
        const now = await send(base, "GET", `/allocations/${c}`);
        statuses.push(now.status);
        const had = now.body?.allocations?.[rp]?.resources.VCPU;
        if (had === undefined) return;
        const r = await send(base, "PUT", `/allocations/${c}`, claim(rp, vcpu(had), now.body.consumer_generation));
        statuses.push(r.status);
        if (r.status === 204) wrote++;
      };
      for (let op = seed; op < seed + OPS; op++) {
        if (op % 4 === 0 && !mine) {
          const c = crypto.randomUUID();
          const r = await send(base, "PUT", `/allocations/${c}`, claim(rp, 1, null));
          statuses.push(r.status);
          if (r.status === 204) wrote++, (mine = c);
        } else if (op % 4 === 1) await replace(at(shared, (seed * 7 + op) % shared.length), (had) => (had === 1 ? 2 : 1));
        else if (op % 4 === 2 && mine) await replace(mine, () => 2);
        else if (op % 4 === 3 && mine) {
          const r = await send(base, "DELETE", `/allocations/${mine}`);
          statuses.push(r.status);
          if (r.status === 204) deleted++, (mine = undefined);
        }
      }
      return { wrote, deleted, statuses };
    };

    /** Runs `work`, reading the provider's usage from the database all the while; answers the most seen. */
    const watched = async <T>(rp: string, work: Promise<T>): Promise<{ result: T; most: number; reads: number }> => {
      let done = false;
      let most = 0;
      let reads = 0;
      const watcher = (async () => {
        while (!done) {
          most = Math.max(most, (await db.probe(rp)).used);
          reads++;
        }
      })();
      try {
        return { result: await work, most, reads };
      } finally {
        done = true;
        await watcher;
        most = Math.max(most, (await db.probe(rp)).used);
      }
    };

    if (dialect === "postgres")
      it("16 clients, half through each, claim and replace: never over capacity, no 5xx from Berth, one generation per write", async () => {
        const { rp, consumers } = await provider(2);
        const start = await db.probe(rp);
        expect(start.used).toBe(2);
        const clients = Array.from({ length: CLIENTS }, (_, i) => ({
          via: i % 2 ? "berth" : "reference",
          run: client(i % 2 ? berth.base : ref.base, rp, consumers, i),
        }));
        const { result, most, reads } = await watched(rp, Promise.all(clients.map((c) => c.run)));
        const end = await db.probe(rp);
        const wrote = { berth: 0, reference: 0 };
        result.forEach((r, i) => (wrote[at(clients, i).via as keyof typeof wrote] += r.wrote));
        const deleted = result.reduce((n, r) => n + r.deleted, 0);
        const berthStatuses = result.filter((_, i) => at(clients, i).via === "berth").flatMap((r) => r.statuses);

        console.log(
          `mixed fleet [postgres]: writes through Berth ${wrote.berth}, through the reference ${wrote.reference}, deletes ${deleted}; most used ${most} of ${CAPACITY} over ${reads} reads of the database`,
        );
        expect(reads).toBeGreaterThan(0);
        expect(most).toBeLessThanOrEqual(CAPACITY);
        expect(end.used).toBeLessThanOrEqual(CAPACITY);
        // Berth answers a lost race with 409 (no room, or a consumer generation that moved on).
        expect(berthStatuses.filter((s) => ![200, 204, 409].includes(s))).toEqual([]);
        const refOdd = result
          .filter((_, i) => at(clients, i).via === "reference")
          .flatMap((r) => r.statuses)
          .filter((s) => ![200, 204, 409].includes(s));
        if (refOdd.length) console.warn(`NOTE: the reference answered ${refOdd.join(", ")} during the race`);
        // Both servers wrote, and the provider was full at some point (the race was real).
        expect(wrote.berth).toBeGreaterThan(0);
        expect(wrote.reference).toBeGreaterThan(0);
        expect(most).toBe(CAPACITY);
        expect(deleted).toBeGreaterThan(0);
        expect(end.generation).toBe(start.generation + wrote.berth + wrote.reference);
        // Both servers answer the usage and generation the database holds.
        for (const base of [ref.base, berth.base]) {
          const u = await send(base, "GET", `/resource_providers/${rp}/usages`);
          expect(u.body).toEqual({ resource_provider_generation: end.generation, usages: { VCPU: end.used } });
        }
      }, 180_000);

    // NOTE: on MariaDB the reference itself can over-allocate under concurrency (FACTS.md: 770
    // claims accepted where 768 fit; a mixed fleet once won 9 claims where 8 fit), so a mixed
    // fleet's exactness there is the reference's to give, not Berth's. What Berth owes the fleet:
    // its own concurrent writers stay within capacity, and every write of Berth's bumps the provider
    // generation the reference checks, so a reference writer that read before it fails with 409.
    if (dialect === "mysql")
      it("16 clients through Berth claim and replace while the reference reads: never over capacity, no 5xx, every write bumps the generation the reference checks", async () => {
        const { rp, consumers } = await provider(2);
        const start = await db.probe(rp);
        // The reference reads the provider all the while: its generation never goes back.
        let stop = false;
        const seen: number[] = [];
        const reader = (async () => {
          while (!stop) seen.push((await send(ref.base, "GET", `/resource_providers/${rp}`)).body.generation);
        })();
        const { result, most } = await watched(rp, Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(berth.base, rp, consumers, i))));
        stop = true;
        await reader;
        const end = await db.probe(rp);
        const wrote = result.reduce((n, r) => n + r.wrote, 0);
        console.log(
          `mixed fleet [mysql]: writes through Berth ${wrote}, deletes ${result.reduce((n, r) => n + r.deleted, 0)}; most used ${most} of ${CAPACITY}; the reference read ${seen.length} generations`,
        );

        expect(most).toBeLessThanOrEqual(CAPACITY);
        expect(most).toBe(CAPACITY);
        expect(result.flatMap((r) => r.statuses).filter((s) => ![200, 204, 409].includes(s))).toEqual([]);
        expect(end.generation).toBe(start.generation + wrote);
        expect(seen.length).toBeGreaterThan(0);
        expect(seen).toEqual([...seen].sort((a, b) => a - b));
        // A reference writer holding the generation from before Berth's writes is refused.
        const stale = await send(ref.base, "PUT", `/resource_providers/${rp}/inventories`, {
          resource_provider_generation: start.generation,
          inventories: { VCPU: { total: TOTAL + 1, reserved: RESERVED, allocation_ratio: 1 } },
        });
        expect(stale.status).toBe(409);
        // With the generation Berth left, the reference writes, and Berth sees it.
        const fresh = await send(ref.base, "PUT", `/resource_providers/${rp}/inventories`, {
          resource_provider_generation: end.generation,
          inventories: { VCPU: { total: TOTAL + 1, reserved: RESERVED, allocation_ratio: 1 } },
        });
        expect(fresh.status).toBe(200);
        expect((await send(berth.base, "GET", `/resource_providers/${rp}/inventories`)).body).toMatchObject({
          resource_provider_generation: end.generation + 1,
          inventories: { VCPU: { total: TOTAL + 1 } },
        });
      }, 180_000);
  });
}
