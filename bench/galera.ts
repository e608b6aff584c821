// Claims on a node of a MariaDB Galera cluster: starts a private 3-node cluster on loopback
// (test/helpers/private-db.ts, as test/db/galera.test.ts does), then runs bench/claims.ts with
// node 0 as its MySQL server: Berth and the reference each on a fresh database there, every write
// certified by the whole cluster. On a Galera node Berth claims through ordinary transactions
// (src/db/galera.ts), not the one-round-trip scripts it uses on a lone MariaDB.
// Run: npx vite-node bench/galera.ts   (Env: as bench/claims.ts; BENCH_TARGETS defaults to
// mysql,refmysql, BENCH_LEVELS to 10, BENCH_SECONDS to 10; BENCH_GALERA_NODES, default 3.)
import { spawnSync } from "node:child_process";
import { privateGalera, privateServersAvailable } from "../test/helpers/private-db.js";
import { at } from "@berth/client/common";

if (!privateServersAvailable().galera) {
  console.error("Galera is not installed: apt-get install galera-4 rsync (and mariadb-server), then run again");
  process.exit(2);
}
const size = Number(process.env.BENCH_GALERA_NODES ?? 3);
console.error(`starting a ${size}-node Galera cluster on loopback...`);
const nodes = await privateGalera(size);
try {
  const admin = `mysql://root@127.0.0.1:${at(nodes, 0).port}/`;
  console.error(`cluster up; bench/claims.ts against node 0 (${admin})`);
  const r = spawnSync("npx", ["vite-node", "bench/claims.ts"], {
    stdio: "inherit",
    env: {
      ...process.env,
      BERTH_BENCH_MYSQL: admin,
      BENCH_TARGETS: process.env.BENCH_TARGETS ?? "mysql,refmysql",
      BENCH_LEVELS: process.env.BENCH_LEVELS ?? "10",
      BENCH_SECONDS: process.env.BENCH_SECONDS ?? "10",
    },
  });
  process.exitCode = r.status ?? 1;
} finally {
  for (const n of nodes) await n.destroy();
}
