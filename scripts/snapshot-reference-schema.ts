// Writes test/fixtures/reference-schema/<dialect>.json from databases that the reference's
// `placement-manage db sync` created (see scripts/README.md). Run with: npx vite-node scripts/snapshot-reference-schema.ts
import { writeFileSync } from "node:fs";
import { openStore } from "../src/db/open.js";
import { introspect } from "../test/helpers/introspect.js";
import type { Dialect } from "../src/db/capabilities.js";

const targets: [Dialect, string][] = [
  ["sqlite", process.env.REF_SQLITE ?? "sqlite:////tmp/ref/db.sqlite"],
  ["postgres", process.env.REF_PG ?? "postgresql://postgres@127.0.0.1/ref_placement"],
  ["mysql", process.env.REF_MYSQL ?? "mysql+pymysql://root@127.0.0.1/ref_placement"],
];
for (const [dialect, url] of targets) {
  const store = openStore(url);
  const shape = await introspect(store.db, dialect);
  writeFileSync(new URL(`../test/fixtures/reference-schema/${dialect}.json`, import.meta.url), JSON.stringify(shape, null, 2) + "\n");
  await store.close();
  console.log(`${dialect}: ${Object.keys(shape).length} tables`);
}
