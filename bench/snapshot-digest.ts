// What keeping a candidate snapshot costs when the server-wide change token moves without a change
// to the placement tables (another application's commits on the same PostgreSQL or MariaDB
// server): the digest check (one consistent read of the token and a digest computed in the
// database) against a rebuild (the copy read and built in Berth), at 1,010 and 10,000 flat providers.
// Run: npx vite-node bench/snapshot-digest.ts
// Env: BENCH_DBS (postgres,mysql), BENCH_SIZES (1010,10000), BENCH_REPEAT (20).
import { testConfig } from "../src/config.js";
import { prepare } from "../src/server.js";
import { Snapshots } from "../src/objects/candidates/snapshot.js";
import { copyReader } from "../src/objects/candidates/snapshot-read.js";
import { seedProviders } from "../test/helpers/seed-candidates.js";
import { flat } from "../test/fixtures/candidates/seed.js";
import { analyze, dropServerDatabase, randomName, serverDatabase, sideWriter } from "./databases.js";
import { at } from "@berth/client/common";

const DBS = (process.env.BENCH_DBS ?? "postgres,mysql").split(",");
const SIZES = (process.env.BENCH_SIZES ?? "1010,10000").split(",").map(Number);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 20);
const LABEL: Record<string, string> = { postgres: "PostgreSQL", mysql: "MariaDB" };

const median = (xs: number[]) =>
  at(
    [...xs].sort((a, b) => a - b),
    Math.floor(xs.length / 2),
  );
const rows: string[] = [];
for (const kind of DBS) {
  for (const size of SIZES) {
    const name = randomName("berth_digest");
    const urls = await serverDatabase(kind, name, true);
    const { store } = await prepare(testConfig({ placement_database: { connection: urls.berth, sync_on_startup: "true" } }));
    try {
      await seedProviders(store.db, flat(size));
      await analyze(store);
      const reader = copyReader(store)!;
      const rebuild: number[] = [];
      const check: number[] = [];
      let kept = 0;
      // One commit elsewhere on the server before each request moves the token.
      const stopWrites = await sideWriter(kind, 1000);
      try {
        for (let i = 0; i < REPEAT; i++) {
          // A rebuild: a fresh Snapshots object has no snapshot to check.
          let t = performance.now();
          const fresh = new Snapshots(reader, "always");
          const snap = await fresh.get();
          rebuild.push(performance.now() - t);
          await new Promise((r) => setTimeout(r, 5));
          t = performance.now();
          const again = await fresh.get();
          check.push(performance.now() - t);
          if (again && again.providers === snap?.providers && again.token !== snap.token) kept++;
        }
      } finally {
        await stopWrites();
      }
      const row = `| ${LABEL[kind] ?? kind} | ${size.toLocaleString("en")} | ${median(rebuild).toFixed(1)} | ${median(check).toFixed(1)} | ${kept}/${REPEAT} |`;
      rows.push(row);
      console.error(row);
    } finally {
      await store.close();
      await dropServerDatabase(kind, name);
    }
  }
}
console.log(`Candidate snapshot: rebuild vs digest check after a commit elsewhere on the server (median of ${REPEAT}, ms)`);
console.log("| database | providers | rebuild (copy + build) | token moved: digest check, snapshot kept | kept (token moved, same snapshot) |");
console.log("|---|---:|---:|---:|---:|");
for (const r of rows) console.log(r);
process.exit(0);
