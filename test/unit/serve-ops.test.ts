// `berth serve` as operators run it: the loopback default and the noauth2 warning, the metrics
// listener (its own port, nothing on the API's), log files from placement.conf, refusals by name.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const BIN = resolve("bin/berth.js");
const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill("SIGTERM");
});

function serve(args: string[], cwd = mkdtempSync(join(tmpdir(), "berth-ops-"))) {
  const child = spawn(process.execPath, [BIN, "serve", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  running.push(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  /** Waits for a line of output (or of `file`) matching `re`; resolves with the match. */
  const waitFor = async (re: RegExp, file?: string): Promise<RegExpExecArray> => {
    for (let i = 0; i < 300; i++) {
      const text = file ? readIf(file) : out;
      const m = re.exec(text);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(`berth serve exited ${child.exitCode}: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${re} in: ${file ? readIf(file) : out}`);
  };
  return { child, cwd, out: () => out, waitFor };
}

function readIf(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function run(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((done) =>
    execFile(process.execPath, [BIN, "serve", ...args], (err, _out, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr })),
  );
}

function conf(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "berth-ops-")), "placement.conf");
  writeFileSync(file, `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = sqlite://\nsync_on_startup = True\n${text}`);
  return file;
}

describe("berth serve for operators", () => {
  it("listens on 127.0.0.1 by default without a config file, says so, and serves metrics on their own port", async () => {
    const s = serve(["--port", "0", "--metrics-port", "0"]);
    const [, port] = await s.waitFor(/Berth listening on http:\/\/127\.0\.0\.1:(\d+) \(ready in \d+ ms\); this machine only/);
    const [, metricsPort] = await s.waitFor(/Prometheus metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/);
    expect(s.out()).not.toContain("every caller");
    const api = `http://127.0.0.1:${port}`;
    expect((await fetch(`${api}/healthcheck`)).status).toBe(200);
    expect((await fetch(`${api}/resource_providers`, { headers: { "x-auth-token": "admin" } })).status).toBe(200);
    // Nothing of the metrics on the API port.
    expect((await fetch(`${api}/metrics`, { headers: { "x-auth-token": "admin" } })).status).toBe(404);
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    expect(text).toContain('berth_http_requests_total{route="/resource_providers",method="GET",status="200"} 1');
    expect(text).toContain('berth_http_requests_total{route="/healthcheck",method="GET",status="200"} 1');
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    expect((await fetch(`http://127.0.0.1:${metricsPort}/resource_providers`)).status).toBe(404);
  });

  it("warns that every caller is trusted with noauth2 on another address", async () => {
    const s = serve(["--host", "0.0.0.0", "--port", "0"]);
    await s.waitFor(/Berth listening on http:\/\/0\.0\.0\.0:\d+ \(ready in \d+ ms\)"/);
    const warning = s
      .out()
      .split("\n")
      .find((l) => l.includes("every caller"));
    expect(JSON.parse(warning!)).toMatchObject({
      level: 40,
      msg: "[api] auth_strategy = noauth2 while listening on 0.0.0.0: every caller that can reach it is trusted (no token is checked; X-Auth-Token: admin is an admin)",
    });
  });

  it("logs to [DEFAULT] log_dir/log_file with both request ids, and takes [berth] metrics_port", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-logs-"));
    const file = conf(`[DEFAULT]\nlog_dir = ${dir}\nlog_file = placement-api.log\ndebug = True\n[berth]\nmetrics_port = 0\n`);
    const log = join(dir, "placement-api.log");
    const s = serve(["--config-file", file, "--port", "0"]);
    await s.waitFor(new RegExp(`berth: logging to ${log.replace(/[.]/g, "\\.")}`));
    const [, port] = await s.waitFor(/Berth listening on http:\/\/127\.0\.0\.1:(\d+)/, log);
    await s.waitFor(/Prometheus metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/, log);
    const global = `req-${crypto.randomUUID()}`;
    const res = await fetch(`http://127.0.0.1:${port}/resource_providers`, { headers: { "x-auth-token": "admin", "x-openstack-request-id": global } });
    expect(res.status).toBe(200);
    await s.waitFor(/GET \/resource_providers 200/, log);
    const line = readIf(log)
      .split("\n")
      .find((l) => l.includes("GET /resource_providers 200"))!;
    expect(JSON.parse(line)).toMatchObject({ requestId: res.headers.get("x-openstack-request-id"), globalRequestId: global });
    // Only the pointer to the file on stdout.
    expect(s.out()).not.toContain("listening");
    // logrotate moves the file and sends SIGHUP: the next lines go to a new file of the same name.
    renameSync(log, `${log}.1`);
    s.child.kill("SIGHUP");
    // The signal arrives some time after kill(): ask until a line lands in the new file.
    for (let i = 0; i < 100 && !readIf(log).includes("GET /healthcheck 200"); i++) {
      await fetch(`http://127.0.0.1:${port}/healthcheck`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(readIf(log)).toContain("GET /healthcheck 200");
    expect(readIf(`${log}.1`)).toContain("GET /resource_providers 200");
  });

  it("refuses use_syslog and use_journal at start-up, naming the option", async () => {
    const syslog = await run(["--config-file", conf("[DEFAULT]\nuse_syslog = True\n"), "--port", "0"]);
    expect(syslog.code).toBe(1);
    expect(syslog.stderr).toMatch(/^berth: \[DEFAULT\] use_syslog = True is not supported by Berth: .*set use_syslog = False\n$/);
    const journal = await run(["--config-file", conf("[DEFAULT]\nuse_journal = True\n"), "--port", "0"]);
    expect(journal.code).toBe(1);
    expect(journal.stderr).toMatch(/^berth: \[DEFAULT\] use_journal = True is not supported by Berth: .*set use_journal = False\n$/);
  });

  it("says when the metrics port is taken or is not a port", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as { port: number }).port;
    const r = await run(["--config-file", conf(""), "--port", "0", "--metrics-port", String(port)]);
    taken.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`berth: cannot serve metrics on 127.0.0.1:${port} (it is in use): choose another port with --metrics-port or [berth] metrics_port\n`);
    const bad = await run(["--config-file", conf(""), "--port", "0", "--metrics-port", "http"]);
    expect(bad.stderr).toBe('berth: --metrics-port must be a port number (0 to 65535), not "http"\n');
    const badConf = await run(["--config-file", conf("[berth]\nmetrics_port = 70000\n"), "--port", "0"]);
    expect(badConf.stderr).toBe("berth: Invalid value for option [berth] metrics_port: 70000 is greater than the maximum 65535\n");
  });
});
