// Database faults under load: a `berth serve` process on a PostgreSQL or MariaDB server of the test's
// own, with 8 clients claiming and reading, while the server's connections are killed and the
// server itself is restarted. Requests in flight may fail, but only with 503 in the API's error
// format (never a 500, a hang or a crash); later requests succeed without restarting Berth, and
// what the database holds is always whole (usage = the sum of the allocations, within capacity).
// Also: start-up with the database down waits for it ([placement_database] max_retries).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { callWithDeadline, oneVcpu, spawnBerth, waitUp, type SpawnedBerth } from "../helpers/serve.js";
import { privateMariadb, privatePostgres, privateServersAvailable, type PrivateServer } from "../helpers/private-db.js";
import { openStore } from "../../src/db/open.js";
import { first } from "@berth/client/common";

const ci = process.env.CI === "true";
const have = privateServersAvailable();
const kinds = (["postgres", "mysql"] as const).filter((k) => {
  if (have[k]) return true;
  if (ci) throw new Error(`the ${k} server binaries are required under CI=true for the fault tests`);
  console.warn(`NOTE: no ${k} server binaries: its fault tests are skipped`);
  return false;
});

const CLIENTS = 8;
const CAPACITY = 100_000;
const HEADERS = { "x-auth-token": "admin", "openstack-api-version": "placement 1.28", "content-type": "application/json" };

type Berth = SpawnedBerth;

function startBerth(url: string, extra = ""): Promise<Berth> {
  return spawnBerth(`[placement_database]\nconnection = ${url}\nsync_on_startup = True\nmax_pool_size = 4\n${extra}`);
}

const call = (base: string, method: string, path: string, body?: unknown) => callWithDeadline(base, method, path, body, HEADERS);

/** Kills every connection of the server's Berth database from a session of its own; returns how many it killed. */
function killConnections(server: PrivateServer): number {
  if (server.dialect === "postgres") {
    const out = execFileSync("psql", [
      "-h",
      "127.0.0.1",
      "-p",
      String(server.port),
      "-U",
      "postgres",
      "-d",
      "postgres",
      "-qAtc",
      "select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = 'berth'",
    ]);
    return Number(out.toString().trim());
  }
  const ids = execFileSync("mariadb", [
    "--no-defaults",
    "-uroot",
    "-h127.0.0.1",
    `-P${server.port}`,
    "-N",
    "-e",
    "select id from information_schema.processlist where db = 'berth'",
  ])
    .toString()
    .split("\n")
    .filter(Boolean);
  let killed = 0;
  for (const id of ids) {
    try {
      execFileSync("mariadb", ["--no-defaults", "-uroot", "-h127.0.0.1", `-P${server.port}`, "-e", `KILL ${id}`], { stdio: "ignore" });
      killed++;
    } catch {
      /* it ended on its own meanwhile */
    }
  }
  return killed;
}

for (const kind of kinds) {
  describe(`database faults under load [${kind}]`, () => {
    let server: PrivateServer;
    let berth: Berth;
    let rp: string;

    beforeAll(async () => {
      server = kind === "postgres" ? await privatePostgres() : await privateMariadb();
      berth = await startBerth(server.url);
      await waitUp(berth.base, berth.child, berth.log);
      rp = randomUUID();
      expect((await call(berth.base, "POST", "/resource_providers", { name: `fault-${rp}`, uuid: rp })).status).toBe(200);
      const inv = await call(berth.base, "PUT", `/resource_providers/${rp}/inventories`, {
        resource_provider_generation: 0,
        inventories: { VCPU: { total: CAPACITY } },
      });
      expect(inv.status).toBe(200);
    }, 120_000);

    afterAll(async () => {
      berth?.child.kill();
      await server?.destroy();
    });

    /** 8 clients claim and read until `fault` has run and the database answers again for a while. */
    async function underLoad(fault: () => Promise<void>) {
      const seen: { status: number; text: string }[] = [];
      const claimed: string[] = [];
      let stop = false;
      const client = async (i: number) => {
        while (!stop) {
          if (i % 2) {
            const consumer = randomUUID();
            const r = await call(berth.base, "PUT", `/allocations/${consumer}`, oneVcpu(rp));
            seen.push(r);
            if (r.status === 204) claimed.push(consumer);
          } else seen.push(await call(berth.base, "GET", `/resource_providers/${rp}/usages`));
        }
      };
      const running = Array.from({ length: CLIENTS }, (_, i) => client(i));
      await new Promise((r) => setTimeout(r, 500));
      await fault();
      // Until the database answers again through Berth, then a little longer.
      for (let i = 0; i < 300 && (await call(berth.base, "GET", `/resource_providers/${rp}/usages`)).status !== 200; i++)
        await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500));
      stop = true;
      await Promise.all(running);
      return { seen, claimed };
    }

    async function expectWhole(claimed: string[]) {
      const store = openStore(server.url);
      try {
        const rows = await sql<{ n: number; used: number }>`select count(*) as n, coalesce(sum(used), 0) as used from allocations`.execute(store.db);
        const { n, used } = first(rows.rows);
        // Every 204 is there; a claim whose answer was lost with its connection may be too.
        expect(Number(n)).toBeGreaterThanOrEqual(claimed.length);
        expect(Number(used)).toBe(Number(n));
        expect(Number(used)).toBeLessThanOrEqual(CAPACITY);
        const usage = await call(berth.base, "GET", `/resource_providers/${rp}/usages`);
        expect(usage.status).toBe(200);
        expect(JSON.parse(usage.text).usages.VCPU).toBe(Number(used));
        const consumers = await sql<{ n: number }>`select count(*) as n from consumers`.execute(store.db);
        expect(Number(first(consumers.rows).n)).toBe(Number(n));
      } finally {
        await store.close();
      }
    }

    function expectOnly503s(seen: { status: number; text: string }[]) {
      const bad = seen.filter((r) => ![200, 204, 503].includes(r.status));
      expect(bad.slice(0, 5)).toEqual([]);
      for (const r of seen.filter((x) => x.status === 503)) {
        const body = JSON.parse(r.text);
        expect(body.errors[0]).toMatchObject({ status: 503, title: "Service Unavailable" });
        expect(body.errors[0].request_id).toMatch(/^req-/);
      }
      expect(berth.child.exitCode).toBeNull();
    }

    it("survives its connections being killed", async () => {
      const killed: number[] = [];
      const { seen, claimed } = await underLoad(async () => {
        killed.push(killConnections(server));
        await new Promise((r) => setTimeout(r, 300));
        killed.push(killConnections(server));
      });
      // Under load Berth holds connections: a kill that found none would test nothing.
      expect(killed[0]).toBeGreaterThan(0);
      console.log(kind, JSON.stringify(seen.reduce((a: Record<number, number>, r) => ((a[r.status] = (a[r.status] ?? 0) + 1), a), {})));
      expectOnly503s(seen);
      expect(seen.filter((r) => r.status === 204).length).toBeGreaterThan(0);
      await expectWhole(claimed);
    });

    it("survives a restart of the database server", async () => {
      const { seen, claimed } = await underLoad(async () => {
        await server.stop();
        await new Promise((r) => setTimeout(r, 1000));
        await server.start();
      });
      console.log(kind, JSON.stringify(seen.reduce((a: Record<number, number>, r) => ((a[r.status] = (a[r.status] ?? 0) + 1), a), {})));
      expectOnly503s(seen);
      expect(seen.filter((r) => r.status === 503).length).toBeGreaterThan(0);
      const after = await call(berth.base, "PUT", `/allocations/${randomUUID()}`, oneVcpu(rp));
      expect(after.status).toBe(204);
      await expectWhole(claimed);
    });
  });

  describe(`start-up with the database down [${kind}]`, () => {
    it("waits for the database, saying what it waits for, then serves", async () => {
      const server = kind === "postgres" ? await privatePostgres() : await privateMariadb();
      await server.stop();
      const berth = await startBerth(server.url, "max_retries = -1\nretry_interval = 1\n");
      try {
        for (let i = 0; i < 100 && !berth.log().includes("cannot reach the database"); i++) await new Promise((r) => setTimeout(r, 100));
        expect(berth.log()).toContain("cannot reach the database at");
        expect(berth.child.exitCode).toBeNull();
        await server.start();
        await waitUp(berth.base, berth.child, berth.log);
        expect((await call(berth.base, "GET", "/resource_providers")).status).toBe(200);
        expect(berth.log()).toContain("answers now");
      } finally {
        berth.child.kill();
        await server.destroy();
      }
    }, 120_000);
  });
}
