// The operator commands as processes (`node bin/berth.js`, so `npm run build` first), next to the
// reference's placement-manage and placement-status on the same kind of database: db stamp, db
// online_data_migrations (its table, lines and exit codes 0/1/127), status upgrade check (its table
// and exit codes 0/1/2) and db sync from an earlier revision.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { berth } from "../helpers/berth-process.js";
import { createDatabase, describeEachDb } from "../helpers/databases.js";
import { reference, referenceConf, referenceInstalled, referenceUpgrade } from "../helpers/reference-tools.js";
import type { Dialect } from "../../src/db/capabilities.js";
import { openStore, type Store } from "../../src/db/open.js";
import { nowUtc } from "../../src/db/time.js";
import { ALEMBIC_HEAD } from "../../src/db/schema.js";
import { at, first } from "@berth/client/common";

async function database(dialect: Dialect): Promise<{ url: string; drop: () => Promise<void> }> {
  if (dialect !== "sqlite") return createDatabase(dialect);
  return { url: `sqlite:///${join(mkdtempSync(join(tmpdir(), "berth-ops-")), "p.sqlite")}`, drop: async () => {} };
}

/** Data the online migrations have work on: 3 providers without roots, 2 consumers without records. */
async function unmigrated(store: Store): Promise<void> {
  const now = nowUtc();
  for (const n of [1, 2, 3])
    await store.db
      .insertInto("resource_providers")
      .values({ uuid: `00000000-0000-0000-0000-00000000000${n}`, name: `rp${n}`, generation: 0, created_at: now })
      .execute();
  const rp = (await store.db.selectFrom("resource_providers").select("id").orderBy("id").executeTakeFirstOrThrow()).id;
  for (const c of ["a", "b", "b"])
    await store.db
      .insertInto("allocations")
      .values({ resource_provider_id: rp, consumer_id: `${c.repeat(8)}-0000-0000-0000-000000000000`, resource_class_id: 0, used: 1, created_at: now })
      .execute();
}

/** A table's words, whatever the wrapping: the details name another command, so lines break elsewhere. */
function words(table: string): string {
  return table
    .split("\n")
    .filter((l) => !/^\+-*\+$/.test(l))
    .map((l) => l.replace(/^\| /, "").replace(/\s*\|$/, ""))
    .join(" ")
    .replace(/\s+/g, " ")
    .replace(/- /g, "-")
    .replace(/berth db online_data_migrations/g, "placement-manage db online_data_migrations");
}

describeEachDb("operator commands", (dialect) => {
  const dbs: { url: string; drop: () => Promise<void> }[] = [];
  const stores: Store[] = [];
  let mine: string; // Berth's database's config
  let theirs: string; // the reference's, same data
  beforeAll(async () => {
    for (const _ of [0, 1]) {
      const db = await database(dialect);
      dbs.push(db);
    }
    mine = referenceConf(first(dbs).url);
    theirs = referenceConf(at(dbs, 1).url);
    expect((await berth(["db", "sync", "--config-file", mine])).stdout).toContain(`created schema at ${ALEMBIC_HEAD}`);
    expect((await berth(["db", "sync", "--config-file", theirs])).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const d of dbs) await d.drop();
  });

  it.skipIf(!referenceInstalled)(
    "upgrade check and online data migrations print what the reference prints, with its exit codes",
    async () => {
      // A clean database: every check succeeds; the tables are the reference's to the character.
      const clean = await berth(["status", "upgrade", "check", "--config-file", mine]);
      const ref = await reference("placement-status", ["--config-file", theirs, "upgrade", "check"]);
      expect([clean.code, clean.stdout]).toEqual([0, ref.stdout]);
      expect(ref.code).toBe(0);

      for (const d of dbs) {
        const s = openStore(d.url);
        stores.push(s);
        await unmigrated(s);
      }
      const failing = await berth(["status", "upgrade", "check", "--config-file", mine]);
      const refFailing = await reference("placement-status", ["--config-file", theirs, "upgrade", "check"]);
      expect(failing.code).toBe(2);
      expect(refFailing.code).toBe(2);
      expect(words(failing.stdout)).toBe(words(refFailing.stdout));
      expect(failing.stdout).toContain("There are 2 incomplete consumers table records");
      const lines = failing.stdout.trimEnd().split("\n");
      for (const line of lines) expect(line.length).toBe(first(lines).length);

      for (const args of [["--max-count", "2"], ["--max-count", "2"], ["--max-count", "0"], ["--max-count", "x"], [], []]) {
        const b = await berth(["db", "online_data_migrations", ...args, "--config-file", mine]);
        const r = await reference("placement-manage", ["--config-file", theirs, "db", "online_data_migrations", ...args]);
        expect({ args, code: b.code, stdout: b.stdout }).toEqual({ args, code: r.code, stdout: r.stdout });
      }
      // Only the policy check is left to fail: with a JSON policy file.
      const policyDir = mkdtempSync(join(tmpdir(), "berth-policy-"));
      writeFileSync(join(policyDir, "policy.json"), '{"placement:resource_providers:list": "role:admin"}');
      const withJson = referenceConf(first(dbs).url, `[oslo_policy]\npolicy_file = ${join(policyDir, "policy.json")}\n`);
      const refJson = referenceConf(at(dbs, 1).url, `[oslo_policy]\npolicy_file = ${join(policyDir, "policy.json")}\n`);
      const pj = await berth(["status", "upgrade", "check", "--config-file", withJson]);
      const rpj = await reference("placement-status", ["--config-file", refJson, "upgrade", "check"]);
      expect([pj.code, pj.stdout]).toEqual([rpj.code, rpj.stdout]);
      expect(pj.code).toBe(2);
    },
    240_000,
  );

  it("stamps a revision (and refuses one that is not Placement's); upgrade check on no schema is an error (255)", async () => {
    const db = await database(dialect);
    dbs.push(db);
    const conf = referenceConf(db.url);
    // No schema yet: the checks cannot run, which is neither success, warning nor failure.
    const none = await berth(["status", "upgrade", "check", "--config-file", conf]);
    expect(none.code).toBe(255);
    expect(none.stdout).toMatch(/^Error:\n/);
    if (referenceInstalled) expect((await reference("placement-status", ["--config-file", conf, "upgrade", "check"])).code).toBe(255);
    expect((await berth(["db", "stamp", "head", "--config-file", conf])).code).toBe(0);
    expect((await berth(["db", "version", "--config-file", conf])).stdout).toBe(`${ALEMBIC_HEAD}\n`);
    const bad = await berth(["db", "stamp", "nope", "--config-file", conf]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Can't locate revision identified by 'nope'");
    expect((await berth(["db", "version", "--config-file", conf])).stdout).toBe(`${ALEMBIC_HEAD}\n`);
    // The reference reads what Berth stamped.
    if (referenceInstalled) expect((await reference("placement-manage", ["--config-file", conf, "db", "version"])).stdout).toBe(`${ALEMBIC_HEAD}\n`);
    expect((await berth(["db", "stamp", "base", "--config-file", conf])).code).toBe(0);
    expect((await berth(["db", "version", "--config-file", conf])).stdout).toBe("None\n");
  }, 120_000);

  it.skipIf(!referenceInstalled)(
    "db sync upgrades a database the reference left at its initial revision",
    async () => {
      const db = await database(dialect);
      dbs.push(db);
      await referenceUpgrade(db.url, "b4ed3a175331");
      const conf = referenceConf(db.url);
      // The reference agrees that this revision is where it is, and Berth reads it there too.
      expect((await reference("placement-manage", ["--config-file", conf, "db", "version"])).stdout).toBe("b4ed3a175331\n");
      expect((await berth(["db", "version", "--config-file", conf])).stdout).toBe("b4ed3a175331\n");
      const r = await berth(["db", "sync", "--config-file", conf]);
      expect(r).toMatchObject({
        code: 0,
        stdout: `upgraded to 611cd6dffd7b\nupgraded to b5c396305c25\nupgraded to ${ALEMBIC_HEAD}\nschema now at ${ALEMBIC_HEAD}\n`,
      });
      expect((await reference("placement-manage", ["--config-file", conf, "db", "version"])).stdout).toBe(`${ALEMBIC_HEAD}\n`);
      // The reference's own db sync finds nothing to do.
      expect((await reference("placement-manage", ["--config-file", conf, "db", "sync"])).code).toBe(0);
    },
    120_000,
  );
});
