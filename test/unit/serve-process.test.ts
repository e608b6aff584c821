// `berth serve` as a real process: a 50 MB body does not stop it answering others, and
// `--workers N` runs N processes on one port (each request answered by one of them, a killed worker
// replaced, SIGTERM stopping them all).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, DIALECTS } from "../helpers/databases.js";
import { freePort, waitUp } from "../helpers/serve.js";

beforeAll(() => {}, 120_000);

interface Served {
  child: ChildProcess;
  port: number;
  /** Everything the process printed so far. */
  log: () => string;
  /** Resolves once the log matches. */
  waitFor: (re: RegExp) => Promise<RegExpExecArray>;
}

function conf(connection: string, ini = ""): string {
  const file = join(mkdtempSync(join(tmpdir(), "berth-serve-")), "placement.conf");
  writeFileSync(file, `${ini}[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = ${connection}\nsync_on_startup = True\n`);
  return file;
}

async function serve(connection: string, extra: string[] = [], ini = ""): Promise<Served> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ["bin/berth.js", "serve", "--config-file", conf(connection, ini), "--host", "127.0.0.1", "--port", String(port), ...extra],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    out += d;
    for (const w of [...waiters]) w();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const waitFor = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(out);
        if (m) {
          waiters.splice(waiters.indexOf(check), 1);
          resolve(m);
        } else if (child.exitCode !== null) reject(new Error(`berth serve exited before ${re}: ${out}`));
      };
      waiters.push(check);
      child.once("exit", check);
      check();
    });
  await waitUp(`http://127.0.0.1:${port}`, child, () => out);
  return { child, port, log: () => out, waitFor };
}

/** GET on a connection of its own (so the cluster's round robin sees each request). */
function getOnce(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, headers: { "x-auth-token": "admin", connection: "close" } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode!));
    });
    req.on("error", reject);
    req.end();
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (c) => resolve(c))));

describe("berth serve and a 50 MB body", () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve(`sqlite:///${join(mkdtempSync(join(tmpdir(), "berth-big-")), "p.sqlite")}`);
  });
  afterAll(() => {
    served?.child.kill();
  });

  /**
   * Sends a POST of `total` bytes in chunks (chunked encoding, so the server must count as it
   * reads); after `pauseAfter` bytes, runs `meanwhile` before sending on. Returns the raw answer.
   */
  function bigPost(total: number, pauseAfter: number, meanwhile: () => Promise<void>, contentLength = false): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(served.port, "127.0.0.1");
      let received = "";
      let closed = false;
      let meanwhileDone: Promise<void> = Promise.resolve();
      socket.on("data", (d) => (received += d.toString("latin1")));
      socket.on("error", () => {});
      socket.on("close", () => {
        closed = true;
        void meanwhileDone.then(() => resolve(received), reject);
      });
      const framing = contentLength ? `content-length: ${total}` : "transfer-encoding: chunked";
      socket.write(`POST /resource_providers HTTP/1.1\r\nHost: x\r\nx-auth-token: admin\r\ncontent-type: application/json\r\n${framing}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, "a");
      const frame = contentLength ? chunk : Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]);
      void (async () => {
        let paused = false;
        for (let sent = 0; sent < total && !closed && !received; sent += chunk.length) {
          if (!paused && sent >= pauseAfter) {
            paused = true;
            meanwhileDone = meanwhile();
            await meanwhileDone.catch(() => {});
          }
          if (!socket.write(frame)) await new Promise((r) => (socket.once("drain", r), socket.once("close", r)));
        }
        if (!closed) socket.end(contentLength ? "" : "0\r\n\r\n");
      })();
    });
  }

  it("answers others while the body is in flight, and the body with 413 once it passes the limit", async () => {
    const answeredMeanwhile: number[] = [];
    const raw = await bigPost(50 * 1024 * 1024, 4 * 1024 * 1024, async () => {
      for (let i = 0; i < 5; i++) answeredMeanwhile.push(await getOnce(served.port, "/resource_providers"));
    });
    expect(answeredMeanwhile).toEqual([200, 200, 200, 200, 200]);
    expect(raw).toMatch(/^HTTP\/1\.1 413 /);
    expect(raw).toMatch(/\r\nconnection: close\r\n/i);
    expect(raw).toMatch(/\r\n\r\n\{"errors": \[\{"status": 413, "title": "Request Entity Too Large", [^]*\}\]\}$/);
    expect(await getOnce(served.port, "/")).toBe(200);
  });

  it("answers a body declared at 50 MB with 413 at once, and others meanwhile", async () => {
    const answeredMeanwhile: number[] = [];
    const raw = await bigPost(
      50 * 1024 * 1024,
      0,
      async () => {
        for (let i = 0; i < 3; i++) answeredMeanwhile.push(await getOnce(served.port, "/resource_providers"));
      },
      true,
    );
    expect(answeredMeanwhile).toEqual([200, 200, 200]);
    expect(raw).toMatch(/^HTTP\/1\.1 413 /);
    expect(raw).toMatch(/\r\n\r\n\{"errors": \[\{"status": 413, "title": "Request Entity Too Large", [^]*\}\]\}$/);
    expect(await getOnce(served.port, "/")).toBe(200);
  });
});

const targets = DIALECTS.map((d) => d);

for (const dialect of targets) {
  describe(`berth serve --workers 2 [${dialect}]`, () => {
    let served: Served;
    let drop = async () => {};

    beforeAll(async () => {
      let url: string;
      if (dialect === "sqlite") url = `sqlite:///${join(mkdtempSync(join(tmpdir(), "berth-workers-")), "p.sqlite")}`;
      else ({ url, drop } = await createDatabase(dialect));
      served = await serve(url, ["--workers", "2"]);
    }, 60_000);

    afterAll(async () => {
      served?.child.kill("SIGKILL");
      await drop();
    });

    const answered = (pid: number) => served.waitFor(new RegExp(`"pid":${pid}[^\\n]*"msg":"GET \\/resource_providers 200"`));
    /**
     * Asks until worker `pid` has answered (at least 10 times), every answer a 200. NOTE: the
     * primary reports a worker listening a moment before it takes connections (meanwhile the other
     * worker gets them), and a worker's log line comes through a pipe, after its answer.
     */
    const askUntilAnswered = async (pid: number) => {
      const took = answered(pid).then(() => true);
      for (let asked = 0; asked < 500; asked++) {
        if (asked >= 10 && (await Promise.race([took, new Promise<false>((res) => setTimeout(() => res(false), 20))]))) return;
        expect(await getOnce(served.port, "/resource_providers")).toBe(200);
      }
    };
    const pidsAnswering = () => new Set([...served.log().matchAll(/"pid":(\d+)[^\n]*"msg":"GET \/resource_providers 200"/g)].map((m) => Number(m[1])));

    it("serves from two processes on one port, started after one schema sync", async () => {
      const m = await served.waitFor(/with 2 workers \(pids (\d+), (\d+)\)/);
      const workers = [Number(m[1]), Number(m[2])];
      for (const pid of workers) await askUntilAnswered(pid);
      expect([...pidsAnswering()].sort()).toEqual([...workers].sort());
      expect(workers).not.toContain(served.child.pid);
    });

    it("replaces a worker that dies, and keeps serving", async () => {
      const m = await served.waitFor(/with 2 workers \(pids (\d+), (\d+)\)/);
      const victim = Number(m[1]);
      process.kill(victim, "SIGKILL");
      const r = await served.waitFor(new RegExp(`"msg":"worker (\\d+) replaces worker ${victim}"`));
      expect(served.log()).toContain(`worker ${victim} died (signal SIGKILL); starting a replacement`);
      const replacement = Number(r[1]);
      await askUntilAnswered(replacement);
      expect(pidsAnswering()).toContain(replacement);
    });

    // NOTE: that the workers get the signal and reopen their log file is the last test of this file.
    it("keeps every worker through SIGHUP (logrotate), serving", async () => {
      await served.waitFor(/with 2 workers \(pids (\d+), (\d+)\)/);
      const died = () => (served.log().match(/died/g) ?? []).length;
      const before = died();
      served.child.kill("SIGHUP");
      await new Promise((r) => setTimeout(r, 500));
      for (let i = 0; i < 10; i++) expect(await getOnce(served.port, "/resource_providers")).toBe(200);
      expect(died()).toBe(before);
      expect(served.child.exitCode).toBeNull();
    });

    it("stops every worker on SIGTERM and exits 0", async () => {
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      const started = [...served.log().matchAll(/"pid":(\d+)[^\n]*"msg":"Berth listening on http:\/\/127\.0\.0\.1:\d+ \(ready/g)].map((x) => Number(x[1]));
      // Every worker that ever started (a killed one and its replacement included); two run now.
      const workers = started.filter(alive);
      expect(workers).toHaveLength(2);
      served.child.kill("SIGTERM");
      expect(await exited(served.child)).toBe(0);
      expect(served.log()).toContain("SIGTERM: stopping the workers after their requests in flight");
      expect(served.log()).toContain('"msg":"all workers stopped"');
      expect(workers.filter(alive)).toEqual([]);
    });
  });
}

it("refuses --workers above 1 on an in-memory SQLite database", async () => {
  const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(process.execPath, ["bin/berth.js", "serve", "--config-file", conf("sqlite://"), "--port", "0", "--workers", "2"], (err, _o, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    ),
  );
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("berth: --workers above 1 needs a database the processes share");
});

it("serves the workers' metrics, summed, from the primary's metrics port", async () => {
  const metricsPort = await freePort();
  const url = `sqlite:///${join(mkdtempSync(join(tmpdir(), "berth-workers-")), "p.sqlite")}`;
  const served = await serve(url, ["--workers", "2", "--metrics-port", String(metricsPort)]);
  try {
    await served.waitFor(/with 2 workers \(pids (\d+), (\d+)\)/);
    for (let i = 0; i < 12; i++) expect(await getOnce(served.port, "/resource_providers")).toBe(200);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const line = text
      .split("\n")
      .find(
        (l) =>
          l.startsWith("berth_http_requests_total{") && l.includes('route="/resource_providers"') && l.includes('method="GET"') && l.includes('status="200"'),
      );
    expect(line, text.slice(0, 2000)).toBeDefined();
    expect(Number(line!.split(" ").pop())).toBe(12);
  } finally {
    served.child.kill("SIGKILL");
  }
}, 60_000);

it("with --workers and a log file, SIGHUP to the primary makes every worker reopen it (logrotate)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-workers-log-"));
  const log = join(dir, "berth.log");
  const served = await serve(`sqlite:///${join(dir, "p.sqlite")}`, ["--workers", "2"], `[DEFAULT]\nlog_file = ${log}\n`);
  try {
    await served.waitFor(/logging to/);
    const listening = () => (existsSync(log) ? readFileSync(log, "utf8") : "");
    for (let i = 0; i < 100 && !/with 2 workers/.test(listening()); i++) await new Promise((r) => setTimeout(r, 100));
    renameSync(log, `${log}.1`);
    served.child.kill("SIGHUP");
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 20; i++) expect(await getOnce(served.port, "/resource_providers")).toBe(200);
    const pids = new Set([...listening().matchAll(/"pid":(\d+)[^\n]*"msg":"GET \/resource_providers 200"/g)].map((m) => m[1]));
    expect(pids.size).toBe(2);
  } finally {
    served.child.kill("SIGKILL");
  }
}, 60_000);
