// A database server of a test's own (PostgreSQL or MariaDB, from the machine's packages), on a free
// port and in a temporary directory, for tests that stop, restart or starve the server: the
// machine's shared servers are never touched. Skipped (undefined) where the binaries are missing.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./serve.js";
import { at, first } from "@berth/client/common";

export interface PrivateServer {
  readonly dialect: "postgres" | "mysql";
  /** The connection URL of the test database on it, as placement.conf takes it. */
  readonly url: string;
  readonly port: number;
  /** Starts the server (again); resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops the server at once (connections are cut, as on a crash or a restart). */
  stop(): Promise<void>;
  /** Stops the server and removes its files. */
  destroy(): Promise<void>;
}

function pgBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const v = readdirSync(root).sort().pop();
  const bin = v && join(root, v, "bin");
  return bin && existsSync(join(bin, "initdb")) ? bin : undefined;
}

/** As root, the server runs as its own system user; otherwise as the current user. */
function asUser(user: string, cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", user, "--", cmd, ...args]] : [cmd, args];
}

async function waitFor(probe: () => boolean, what: string, log: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start: ${log()}`);
}

export function privateServersAvailable(): { postgres: boolean; mysql: boolean; galera: boolean } {
  const mysql = existsSync("/usr/sbin/mariadbd") && existsSync("/usr/bin/mariadb-install-db");
  return { postgres: pgBin() !== undefined, mysql, galera: mysql && existsSync(GALERA) && existsSync("/usr/bin/rsync") };
}

const GALERA = "/usr/lib/galera/libgalera_smm.so";

export async function privatePostgres(): Promise<PrivateServer> {
  const bin = pgBin();
  if (!bin) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql");
  const dir = mkdtempSync(join(tmpdir(), "berth-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const [c, a] = asUser("postgres", join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  execFileSync(c, a, { stdio: "ignore" });
  const port = await freePort();
  let child: ChildProcess | undefined;
  let out = "";
  const server: PrivateServer = {
    dialect: "postgres",
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/berth`,
    async start() {
      const [cmd, args] = asUser("postgres", join(bin, "postgres"), [
        "-D",
        data,
        "-p",
        String(port),
        "-k",
        dir,
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "fsync=off",
      ]);
      child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout!.on("data", (d) => (out = (out + d).slice(-4000)));
      child.stderr!.on("data", (d) => (out = (out + d).slice(-4000)));
      await waitFor(
        () => {
          try {
            execFileSync(join(bin, "pg_isready"), ["-q", "-h", "127.0.0.1", "-p", String(port)]);
            return true;
          } catch {
            return false;
          }
        },
        "private PostgreSQL",
        () => out,
      );
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child!.once("exit", r));
      // NOTE: immediate shutdown: every connection is cut, as when the server goes away. The
      // signal goes to the postmaster itself (the child may be runuser, which does not pass it on).
      const pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
      process.kill(pid, "SIGQUIT");
      await exited;
    },
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  execFileSync(join(bin, "createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "berth"]);
  return server;
}

export async function privateMariadb(galera?: GaleraNode): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), "berth-my-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const socket = join(dir, "mysqld.sock");
  const root = process.getuid?.() === 0;
  execFileSync(
    "mariadb-install-db",
    ["--no-defaults", `--datadir=${data}`, ...(root ? ["--user=mysql"] : []), "--auth-root-authentication-method=normal", "--skip-test-db"],
    {
      stdio: "ignore",
    },
  );
  const port = await freePort();
  let child: ChildProcess | undefined;
  let out = "";
  // A Galera node's first start forms the cluster when it is the first node.
  let first = galera?.index === 0;
  const server: PrivateServer = {
    dialect: "mysql",
    port,
    url: `mysql+pymysql://root@127.0.0.1:${port}/berth?charset=utf8`,
    async start() {
      child = spawn(
        "/usr/sbin/mariadbd",
        [
          "--no-defaults",
          `--datadir=${data}`,
          `--port=${port}`,
          `--socket=${socket}`,
          "--bind-address=127.0.0.1",
          "--skip-name-resolve",
          "--innodb-flush-log-at-trx-commit=2",
          "--innodb-buffer-pool-size=32M",
          ...(root ? ["--user=mysql"] : []),
          ...(galera ? galeraOptions(galera, first) : []),
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      child.stdout!.on("data", (d) => (out = (out + d).slice(-4000)));
      child.stderr!.on("data", (d) => (out = (out + d).slice(-4000)));
      await waitFor(
        () => {
          try {
            execFileSync("mariadb", ["--no-defaults", "-uroot", "-h127.0.0.1", `-P${port}`, "-e", "select 1"], { stdio: "ignore" });
            return true;
          } catch {
            return false;
          }
        },
        "private MariaDB",
        () => out,
      );
      first = false;
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child!.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    },
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (!galera) {
    await server.start();
    execFileSync("mariadb", ["--no-defaults", "-uroot", "-h127.0.0.1", `-P${port}`, "-e", "create database berth"]);
  }
  return server;
}

interface GaleraNode {
  index: number;
  /** Per node: the Galera group port, IST port and SST port. */
  links: { group: number; ist: number; sst: number }[];
}

function galeraOptions(node: GaleraNode, first: boolean): string[] {
  const me = at(node.links, node.index);
  return [
    "--wsrep-on=ON",
    `--wsrep-provider=${GALERA}`,
    "--binlog-format=ROW",
    "--innodb-autoinc-lock-mode=2",
    "--default-storage-engine=InnoDB",
    `--wsrep-cluster-address=gcomm://${node.links.map((l) => `127.0.0.1:${l.group}`).join(",")}`,
    `--wsrep-node-address=127.0.0.1:${me.group}`,
    `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${me.group};ist.recv_addr=127.0.0.1:${me.ist}`,
    `--wsrep-sst-receive-address=127.0.0.1:${me.sst}`,
    "--wsrep-sst-method=rsync",
    `--wsrep-node-name=node${node.index}`,
    ...(first ? ["--wsrep-new-cluster"] : []),
  ];
}

/**
 * A MariaDB Galera cluster of `n` nodes on loopback (multi-master: every node takes writes), with
 * the test database created. Each node is a PrivateServer; stopping one leaves the others serving.
 */
export async function privateGalera(n = 3): Promise<PrivateServer[]> {
  const links = [];
  for (let i = 0; i < n; i++) links.push({ group: await freePort(), ist: await freePort(), sst: await freePort() });
  const nodes: PrivateServer[] = [];
  for (let i = 0; i < n; i++) nodes.push(await privateMariadb({ index: i, links }));
  // NOTE: one at a time: each joins the cluster the ones before formed, and is synced when it answers.
  for (const node of nodes) {
    await node.start();
    await waitFor(
      () => {
        try {
          const r = execFileSync("mariadb", [
            "--no-defaults",
            "-uroot",
            "-h127.0.0.1",
            `-P${node.port}`,
            "-N",
            "-e",
            "show status like 'wsrep_ready'",
          ]).toString();
          return r.includes("ON");
        } catch {
          return false;
        }
      },
      "a Galera node",
      () => "",
    );
  }
  execFileSync("mariadb", ["--no-defaults", "-uroot", "-h127.0.0.1", `-P${first(nodes).port}`, "-e", "create database berth"]);
  return nodes;
}
