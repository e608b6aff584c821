// The dashboard's first screen over a 10,000-host fleet, in Debian's Chromium (playwright-core):
// from navigation to the fleet view drawn (totals, charts, fullest and emptiest), cold (a new
// browser context each time: no cache), and the trees view with its virtualised list (and a jump
// to its last row); plus the reads behind them timed on their own. Prints numbers; asserts nothing.
// Run: npm run bench:ui   Env: BENCH_DBS (sqlite,postgres,mysql), BENCH_SIZE (10000), BENCH_REPEAT (5).
import { testConfig } from "../src/config.js";
import { prepare } from "../src/server.js";
import { seedProviders } from "../test/helpers/seed-candidates.js";
import { flat } from "../test/fixtures/candidates/seed.js";
import { launchChromium, serveApp } from "../test/helpers/browser.js";
import { analyze, dropServerDatabase, randomName, serverDatabase } from "./databases.js";
import { at } from "@berth/client/common";

const DBS = (process.env.BENCH_DBS ?? "sqlite,postgres,mysql").split(",");
const SIZE = Number(process.env.BENCH_SIZE ?? 10_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const LABEL: Record<string, string> = { sqlite: "SQLite", postgres: "PostgreSQL", mysql: "MariaDB" };

const median = (xs: number[]) =>
  at(
    [...xs].sort((a, b) => a - b),
    Math.floor(xs.length / 2),
  );
const ms = (x: number) => x.toFixed(0);

async function timed(n: number, fn: () => Promise<unknown>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

const rows: string[] = [];
const browser = await launchChromium();
try {
  for (const kind of DBS) {
    const name = randomName("berth_ui");
    const url = kind === "sqlite" ? "sqlite://" : (await serverDatabase(kind, name, true)).berth;
    const { app, store } = await prepare(testConfig({ placement_database: { connection: url, sync_on_startup: "true" } }));
    const server = await serveApp(app);
    try {
      // 10,000 hosts with usage spread from empty to full, so that ranking has work to do.
      const specs = flat(SIZE).map((s, i) => ({ ...s, used: { VCPU: i % 33, MEMORY_MB: (i * 97) % 8192 } }));
      let t = performance.now();
      await seedProviders(store.db, specs);
      await analyze(store);
      console.error(`${LABEL[kind]}: seeded ${SIZE} providers in ${ms(performance.now() - t)} ms`);
      const get = (path: string, headers: Record<string, string> = {}) =>
        fetch(`${server.base}${path}`, { headers: { "x-auth-token": "admin", ...headers } }).then(async (r) => {
          await r.arrayBuffer();
          return r;
        });
      const etag = (await get("/ui/api/fleet?limit=10")).headers.get("etag")!;
      const fleetRead = await timed(10, () => get("/ui/api/fleet?limit=10"));
      const fleet304 = await timed(10, () => get("/ui/api/fleet?limit=10", { "if-none-match": etag }));
      const filtered = await timed(10, () => get("/ui/api/fleet?limit=10&trait=CUSTOM_RAID"));
      const treesRead = await timed(10, () => get("/ui/api/trees?offset=0&limit=200"));
      const filtersRead = await timed(10, () => get("/ui/api/filters"));
      const firstScreen: number[] = [];
      const inPage: number[] = [];
      const treesScreen: number[] = [];
      const lastRow: number[] = [];
      let rendered = 0;
      for (let i = 0; i < REPEAT; i++) {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const page = await ctx.newPage();
        t = performance.now();
        await page.goto(`${server.base}/ui/#/fleet`, { waitUntil: "commit" });
        await page.locator(".ranked-list tr").first().waitFor();
        firstScreen.push(performance.now() - t);
        inPage.push(Number(await page.evaluate("performance.now()")));
        t = performance.now();
        await page.click("nav >> text=Provider trees");
        await page.locator(".tree-row").first().waitFor();
        treesScreen.push(performance.now() - t);
        rendered = await page.locator(".vrow").count();
        t = performance.now();
        await page.locator(".vlist").evaluate((el) => {
          el.scrollTop = el.scrollHeight;
        });
        await page
          .locator(".tree-row", { hasText: `-cn${SIZE - 1}` })
          .first()
          .waitFor();
        lastRow.push(performance.now() - t);
        await ctx.close();
      }
      const row = `| ${LABEL[kind]} | ${SIZE.toLocaleString("en")} | ${ms(median(firstScreen))} (${ms(Math.min(...firstScreen))}-${ms(Math.max(...firstScreen))}) | ${ms(median(inPage))} | ${ms(median(treesScreen))} | ${ms(median(lastRow))} | ${rendered} | ${fleetRead.toFixed(1)} / ${fleet304.toFixed(1)} / ${filtered.toFixed(1)} | ${treesRead.toFixed(1)} | ${filtersRead.toFixed(1)} |`;
      rows.push(row);
      console.error(row);
    } finally {
      await server.close();
      await store.close();
      if (kind !== "sqlite") await dropServerDatabase(kind, name);
    }
  }
} finally {
  await browser.close();
}
console.log(`
Dashboard, ${SIZE.toLocaleString("en")} flat providers, Chromium ${REPEAT} cold loads (median, range), ms:
| database | providers | first screen: navigation to fleet drawn | same, page clock | trees view | jump to last tree | rows in DOM | api/fleet: full / 304 / trait filter | api/trees 200 | api/filters |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join("\n")}`);
