// Claim routing between the workers of `berth serve --workers N` (src/claim-routing.ts): two apps
// on one database, as two workers, each owning half the providers. A claim that arrives at the
// worker that does not own its provider is written by the owner and answered as the owner answers;
// a claim whose owner does not listen is written where it arrived; one whose owner goes away after
// it was sent is answered 503.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Hono } from "hono";
import { createApp } from "../../src/app.js";
import { testConfig } from "../../src/config.js";
import { prepare } from "../../src/server.js";
import type { Store } from "../../src/db/open.js";
import { ClaimOwnerLost, ClaimRouter, ownerOf, socketPath, type ClaimRoute } from "../../src/claim-routing.js";
import { ClaimQueue, type Claims } from "../../src/objects/claim-queue.js";
import type { ConsumerWrite } from "../../src/objects/allocation.js";
import { CapacityExceeded } from "../../src/objects/allocation.js";
import { isUnavailable } from "../../src/db/tx.js";
import { createDatabase, describeEachDb } from "../helpers/databases.js";

const H = { "x-auth-token": "admin", "openstack-api-version": "placement 1.28", "content-type": "application/json" };

/** A claim queue that counts what it was given (the real queue does the work). */
class Counting implements Claims {
  n = 0;
  constructor(private readonly inner: Claims) {}
  claim(writes: ConsumerWrite[]): Promise<void> {
    this.n++;
    return this.inner.claim(writes);
  }
}

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
};

describeEachDb("claims routed to their owner worker", (dialect) => {
  let store: Store;
  let drop: () => Promise<void>;
  let dir: string;
  let app: Hono;
  let config: ReturnType<typeof testConfig>;
  const routers: ClaimRouter[] = [];
  const queues: Counting[] = [];

  beforeAll(async () => {
    const db = await createDatabase(dialect);
    drop = db.drop;
    dir = mkdtempSync(join(tmpdir(), "berth-routing-test-"));
    config = testConfig({ placement_database: { connection: db.url, sync_on_startup: "true" } });
    ({ store } = await prepare(config));
    for (const self of [0, 1]) {
      const route: ClaimRoute = { self, workers: 2, dir };
      const q = new Counting(new ClaimQueue(store, { retries: 10 }));
      const r = new ClaimRouter(q, route);
      await r.listen();
      queues.push(q);
      routers.push(r);
    }
    // NOTE: the app (for providers and usages) has no router: claims go through the ones made here.
    app = createApp({ store, config });
  });
  afterAll(async () => {
    for (const r of routers) r.close();
    await store?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A provider of `total` VCPU whose claims worker `owner` writes. */
  async function provider(owner: number, total: number): Promise<string> {
    let uuid = randomUUID();
    while (ownerOf([{ uuid: "x", project: "p", user: "u", checkGeneration: true, allocations: new Map([[uuid, new Map()]]) }], 2) !== owner)
      uuid = randomUUID();
    expect((await app.request("/resource_providers", { method: "POST", headers: H, body: JSON.stringify({ name: `r-${uuid}`, uuid }) })).status).toBe(200);
    const inv = { resource_provider_generation: 0, inventories: { VCPU: { total } } };
    expect((await app.request(`/resource_providers/${uuid}/inventories`, { method: "PUT", headers: H, body: JSON.stringify(inv) })).status).toBe(200);
    return uuid;
  }

  /** Worker 0 listening in `dir`, taking claims and never answering; `asked` counts them. */
  async function hangingOwner(dir: string): Promise<{ owner: ClaimRouter; asked: () => number }> {
    let n = 0;
    const hanging: Claims = {
      claim: () => {
        n++;
        return new Promise<void>(() => {});
      },
    };
    const owner = new ClaimRouter(hanging, { self: 0, workers: 2, dir });
    await owner.listen();
    return { owner, asked: () => n };
  }

  const write = (rp: string, vcpu: number): ConsumerWrite => ({
    uuid: randomUUID(),
    project: "p",
    user: "u",
    checkGeneration: true,
    generation: null,
    allocations: new Map([[rp, new Map([["VCPU", vcpu]])]]),
  });

  it("a claim at the other worker is written by the owner; its refusal keeps its class and words", async () => {
    const rp = await provider(0, 2);
    const before = queues.map((q) => q.n);
    await routers[1]!.claim([write(rp, 2)]);
    expect(queues.map((q) => q.n)).toEqual([before[0]! + 1, before[1]!]);
    const refused = await routers[1]!.claim([write(rp, 1)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(CapacityExceeded);
    const direct = await routers[0]!.claim([write(rp, 1)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((refused as Error).message).toBe((direct as Error).message);
    expect(queues.map((q) => q.n)).toEqual([before[0]! + 3, before[1]!]);
  });

  it("many claims at both workers on one provider: all written by the owner, exactly", async () => {
    const rp = await provider(1, 30);
    const before = queues.map((q) => q.n);
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        routers[i % 2]!.claim([write(rp, 1)]).then(
          () => "ok",
          (e: unknown) => (e as Error).constructor.name,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(30);
    expect(new Set(outcomes.filter((o) => o !== "ok"))).toEqual(new Set(["CapacityExceeded"]));
    expect(queues.map((q) => q.n)).toEqual([before[0]!, before[1]! + 40]);
    const usage = await app.request(`/resource_providers/${rp}/usages`, { headers: H });
    expect(((await usage.json()) as { usages: { VCPU: number } }).usages.VCPU).toBe(30);
  });

  it("a claim whose owner does not listen is written where it arrived", async () => {
    const lonely = new Counting(new ClaimQueue(store, { retries: 10 }));
    const other = mkdtempSync(join(tmpdir(), "berth-routing-none-"));
    try {
      const r = new ClaimRouter(lonely, { self: 1, workers: 2, dir: other });
      await r.listen();
      const rp = await provider(0, 4);
      await r.claim([write(rp, 1)]);
      expect(lonely.n).toBe(1);
      r.close();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("a claim whose owner goes away before answering is answered as a lost connection (503)", async () => {
    const other = mkdtempSync(join(tmpdir(), "berth-routing-lost-"));
    try {
      const { owner, asked } = await hangingOwner(other);
      const asker = new ClaimRouter(new ClaimQueue(store, { retries: 10 }), { self: 1, workers: 2, dir: other });
      await asker.listen();
      const rp = await provider(0, 4);
      const answer = asker.claim([write(rp, 1)]).then(
        () => undefined,
        (e: unknown) => e,
      );
      await until(() => asked() === 1);
      owner.close();
      const e = await answer;
      expect(e).toBeInstanceOf(ClaimOwnerLost);
      expect(isUnavailable(e)).toBe(true);
      asker.close();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("over HTTP, a claim whose owner goes away is answered 503 in the error format", async () => {
    const other = mkdtempSync(join(tmpdir(), "berth-routing-lost-http-"));
    try {
      const { owner, asked } = await hangingOwner(other);
      const worker = createApp({ store, config, claimRoute: { self: 1, workers: 2, dir: other } });
      const rp = await provider(0, 4);
      // NOTE: the app's router listens in the background; until it does, it writes claims itself.
      // Its socket is bound at once, its listening callback comes after the current microtasks.
      await until(() => existsSync(socketPath(other, 1)));
      await new Promise((r) => setImmediate(r));
      const consumer = randomUUID();
      const body = { allocations: { [rp]: { resources: { VCPU: 1 } } }, project_id: "p", user_id: "u", consumer_generation: null };
      const answer = worker.request(`/allocations/${consumer}`, { method: "PUT", headers: H, body: JSON.stringify(body) });
      await until(() => asked() === 1);
      expect(asked()).toBe(1);
      owner.close();
      const res = await answer;
      expect(res.status).toBe(503);
      const { errors } = (await res.json()) as { errors: { status: number; detail: string; code: string }[] };
      expect(errors).toHaveLength(1);
      expect(errors[0]!.status).toBe(503);
      expect(errors[0]!.detail).toMatch(/went away before it answered; the claim may or may not have been written/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
