// GET /healthcheck: 200 while the database answers, 503 with a reason when it cannot be reached or
// does not answer in time; without a token whatever the auth strategy; nothing beyond a status.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import pino from "pino";
import { Writable } from "node:stream";
import { createApp } from "../../src/app.js";
import { testConfig } from "../../src/config.js";
import { openStore } from "../../src/db/open.js";
import { describeEachDb } from "../helpers/databases.js";
import { useApi } from "../helpers/api.js";
import { freePort } from "../helpers/serve.js";

describeEachDb("healthcheck", (dialect) => {
  const api = useApi(dialect);

  it("answers 200 without a token, with a status and nothing else", async () => {
    const r = await api().get("/healthcheck", { token: null });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: "ok" });
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect((await api().request("HEAD", "/healthcheck", { token: null })).status).toBe(200);
    const post = await api().post("/healthcheck", {}, { token: null });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers without a token when the auth strategy is not noauth2", async () => {
    const app = createApp({ store: api().store, config: testConfig({ api: { auth_strategy: "keystone" } }) });
    expect((await app.request("/healthcheck")).status).toBe(200);
    expect((await app.request("/resource_providers")).status).toBe(401);
  });
});

/** A logger whose lines are kept. */
function captured(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      out.push(String(chunk));
      done();
    },
  });
  return {
    logger: pino({ level: "info" }, stream),
    lines: () =>
      out
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}

describe("healthcheck without a database", () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  for (const [name, url] of [
    ["PostgreSQL", (port: number) => `postgresql://placement:s3cret@127.0.0.1:${port}/placement`],
    ["MySQL", (port: number) => `mysql+pymysql://placement:s3cret@127.0.0.1:${port}/placement?charset=utf8`],
  ] as const) {
    it(`answers 503 with a reason when ${name} cannot be reached, and logs the details`, async () => {
      const store = openStore(url(await freePort()));
      const { logger, lines } = captured();
      const app = createApp({ store, config: testConfig(), logger });
      const res = await app.request("/healthcheck");
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ status: "unavailable", reason: "the database cannot be reached" });
      expect(text).not.toContain("127.0.0.1");
      expect(text).not.toContain("s3cret");
      const warning = lines().find((l) => l.msg === "healthcheck: the database cannot be reached");
      expect(warning?.requestId).toBe(res.headers.get("x-openstack-request-id"));
      expect(JSON.stringify(warning?.err)).toMatch(/ECONNREFUSED/);
      await store.close();
    });
  }

  it("answers 503 when the database does not answer within the timeout", async () => {
    // A server that accepts connections and never says anything: a database that hangs.
    const held: Socket[] = [];
    const silent = createServer((s) => void held.push(s));
    servers.push(silent);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    const store = openStore(`postgresql://placement@127.0.0.1:${port}/placement`);
    const app = createApp({ store, config: testConfig(), healthTimeoutMs: 300 });
    // Two checks at once share one probe.
    const [a, b] = await Promise.all([app.request("/healthcheck"), app.request("/healthcheck")]);
    expect(a.status).toBe(503);
    expect(await a.json()).toEqual({ status: "unavailable", reason: "the database did not answer within 300 ms" });
    expect(b.status).toBe(503);
    expect(held.length).toBe(1);
    held.forEach((s) => s.destroy());
    await store.close().catch(() => {});
  });
});
