// Served by `berth serve`, candidate bodies are written into buffers kept from one response to the
// next (src/http/candidate-body.ts, BodyBuffers). A buffer must not be reused while a response still reads from
// it: concurrent requests with different bodies, one of them read slowly, each get their own bytes,
// the same as the in-process app gives.
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, describeEachDb } from "../helpers/databases.js";
import type { Hono } from "hono";
import { testConfig } from "../../src/config.js";
import type { Store } from "../../src/db/open.js";
import { prepare } from "../../src/server.js";
import { BodyBuffers } from "../../src/http/candidate-body.js";
import { seedProviders } from "../helpers/seed-candidates.js";
import { freePort, waitUp } from "../helpers/serve.js";
import { flat } from "../fixtures/candidates/seed.js";
import { at } from "@berth/client/common";

const HEADERS = { "x-auth-token": "admin", "openstack-api-version": "placement 1.39" };

/** GET over a connection of its own; `pauseMs` leaves the body unread that long after the headers. */
function get(port: number, path: string, pauseMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, headers: HEADERS, agent: false }, (res) => {
      const parts: Buffer[] = [];
      if (pauseMs) {
        res.pause();
        setTimeout(() => res.resume(), pauseMs);
      }
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve(`${res.statusCode} ${Buffer.concat(parts).toString("utf8")}`));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

describeEachDb("candidate bodies over HTTP, from kept buffers", (dialect) => {
  let dir: string;
  let store: Store;
  let app: Hono;
  let child: ChildProcess;
  let port: number;
  let queries: string[];
  let drop = async () => {};

  beforeAll(async () => {
    // NOTE: berth serve runs the compiled server; build it the one sanctioned way.
    dir = mkdtempSync(join(tmpdir(), "berth-cand-http-"));
    let connection = `sqlite:///${join(dir, "db.sqlite")}`;
    if (dialect !== "sqlite") ({ url: connection, drop } = await createDatabase(dialect));
    ({ app, store } = await prepare(testConfig({ placement_database: { connection, sync_on_startup: "true" } })));
    const seeded = await seedProviders(store.db, flat(20_000));
    // Bodies from 1 KB to 10 MB: several sizes, so buffers are grown, kept and handed out again.
    // NOTE: a body larger than what loopback's socket buffers hold (a few MB) is still being
    // written when the next request is answered, if its reader is slow.
    queries = [
      ...["agg0", "agg1", "agg2", "agg3", "agg4"].map((a) => `resources=VCPU:1&member_of=${seeded.agg.get(a)}&required=HW_CPU_X86_AVX2`),
      "resources=VCPU:1,DISK_GB:10,MEMORY_MB:256",
      "resources=VCPU:2,MEMORY_MB:256",
      "resources=VCPU:1&required=HW_CPU_X86_AVX2",
      "resources=VCPU:1&limit=3",
      "resources=VCPU:1&limit=1000",
    ].map((q) => `/allocation_candidates?${q}`);
    const conf = join(dir, "placement.conf");
    writeFileSync(conf, `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = ${connection}\n`);
    port = await freePort();
    let out = "";
    child = spawn(process.execPath, ["bin/berth.js", "serve", "--config-file", conf, "--host", "127.0.0.1", "--port", String(port)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => (out = (out + d).slice(-4000)));
    child.stderr!.on("data", (d) => (out = (out + d).slice(-4000)));
    await waitUp(`http://127.0.0.1:${port}`, child, () => out);
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill();
      await exited;
    }
    await store?.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("concurrent responses, one read slowly, each carry their own body", async () => {
    const want = new Map<string, string>();
    for (const q of queries) {
      const r = await app.request(q, { headers: HEADERS });
      want.set(q, `${r.status} ${await r.text()}`);
    }
    expect(new Set(want.values()).size).toBe(queries.length);
    // NOTE: the buffers are the HTTP layer's and the same on every database: three rounds on SQLite,
    // one elsewhere (seeding and the snapshot read cost more there; CI time).
    const rounds = dialect === "sqlite" ? 3 : 1;
    for (let round = 0; round < rounds; round++) {
      const sent = queries.flatMap((q, i) => [q, at(queries, (i + round + 1) % queries.length), q]);
      const slow = queries.map((q) => get(port, q, 300));
      const got = await Promise.all([...slow, ...sent.map((q) => get(port, q))]);
      const asked = [...queries, ...sent];
      for (let i = 0; i < asked.length; i++) {
        const label = `round ${round}, request ${i}: ${asked[i]}`;
        expect({ label, same: got[i] === want.get(at(asked, i)) }).toEqual({ label, same: true });
      }
    }
  }, 180_000);
});

describe("BodyBuffers", () => {
  it("hands a kept buffer out again only after it came back, the smallest that fits", () => {
    const b = new BodyBuffers();
    const a = b.take(100_000);
    expect(a.length).toBeGreaterThanOrEqual(100_000);
    const c = b.take(100_000);
    expect(c.buffer).not.toBe(a.buffer);
    b.give(a.subarray(0, 10));
    b.give(c);
    b.give(c); // twice: kept once
    const big = b.take(1_000_000);
    expect([a.buffer, c.buffer]).not.toContain(big.buffer);
    expect([a.buffer, c.buffer]).toContain(b.take(1000).buffer);
    expect([a.buffer, c.buffer]).toContain(b.take(1000).buffer);
    expect([a.buffer, c.buffer]).not.toContain(b.take(1000).buffer);
  });

  it("keeps a few buffers, and none of huge bodies", () => {
    const b = new BodyBuffers();
    const huge = b.take(64 * 1024 * 1024);
    b.give(huge);
    expect(b.take(1000).buffer).not.toBe(huge.buffer);
    const kept = Array.from({ length: 6 }, (_, i) => b.take(65_536 << i));
    for (const k of kept) b.give(k);
    // The four largest stay; the two smallest were dropped.
    const again = Array.from({ length: 4 }, () => b.take(1).buffer);
    expect(new Set(again)).toEqual(new Set(kept.slice(2).map((k) => k.buffer)));
    expect(kept.map((k) => k.buffer)).not.toContain(b.take(1).buffer);
  });
});
