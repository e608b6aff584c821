// Start-up: what stops it (with a message that says what to do) and what it prepares.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testConfig } from "../../src/config.js";
import { prepare, StartupError } from "../../src/server.js";
import { openStore } from "../../src/db/open.js";
import { currentRevision } from "../../src/db/sync.js";

describe("start-up", () => {
  it("refuses auth_strategy = keystone without a usable [keystone_authtoken], naming the option", async () => {
    const keystone = (k: Record<string, string>) => prepare(testConfig({ api: { auth_strategy: "keystone" }, keystone_authtoken: k }));
    const full = { auth_type: "password", auth_url: "http://127.0.0.1:1/v3", username: "placement", password: "pw", project_name: "service" };
    await expect(keystone({})).rejects.toThrow(/\[keystone_authtoken\] auth_type is not set/);
    await expect(keystone({ ...full, auth_type: "v3token" })).rejects.toThrow(/auth_type = v3token is not supported by Berth: use auth_type = password/);
    await expect(keystone({ ...full, auth_url: "" })).rejects.toThrow(/auth_url is required/);
    const { password: _, ...noPassword } = full;
    await expect(keystone(noPassword)).rejects.toThrow(/password is required/);
    await expect(keystone({ ...full, cafile: "/nonexistent/ca.pem" })).rejects.toThrow(/cafile: cannot read \/nonexistent\/ca.pem/);
    // Complete options start (Keystone is only asked when a request comes).
    const { store } = await keystone(full);
    await store.close();
  });

  it("refuses a database without the schema unless sync_on_startup is set", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "berth-")), "p.sqlite");
    const config = testConfig({ placement_database: { connection: `sqlite:///${file}`, sync_on_startup: "false" } });
    await expect(prepare(config)).rejects.toThrow(StartupError);
    await expect(prepare(config)).rejects.toThrow(/run `berth db sync`/);
  });

  it("says what to do when the port is taken, without a stack trace", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as { port: number }).port;
    const conf = join(mkdtempSync(join(tmpdir(), "berth-")), "placement.conf");
    writeFileSync(conf, `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = sqlite://\nsync_on_startup = True\n`);
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(process.execPath, ["bin/berth.js", "serve", "--config-file", conf, "--host", "127.0.0.1", "--port", String(port)], (err, _out, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    taken.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`berth: 127.0.0.1:${port} is in use (another server?): stop it, or choose another port with --port\n`);
  });

  it("says which database it could not use, without its password, and what to check, after its retries", async () => {
    const conf = join(mkdtempSync(join(tmpdir(), "berth-")), "placement.conf");
    writeFileSync(
      conf,
      `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = postgresql://placement:s3cret@127.0.0.1:1/placement\nmax_retries = 2\nretry_interval = 0\n`,
    );
    const r = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) =>
      execFile(process.execPath, ["bin/berth.js", "serve", "--config-file", conf, "--port", "0"], (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr, stdout }),
      ),
    );
    const log = r.stdout + r.stderr;
    expect(log).toContain(
      "cannot reach the database at postgresql://placement:***@127.0.0.1:1/placement (connect ECONNREFUSED 127.0.0.1:1); retry 1 of 2 in 0 s",
    );
    expect(log).toContain("retry 2 of 2 in 0 s");
    expect(log).not.toContain("retry 3");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("berth: cannot start: could not use the database at postgresql://placement:***@127.0.0.1:1/placement (");
    expect(r.stderr).toContain(`Check [placement_database] connection in ${conf}, that the database server is running and that the database exists.`);
    expect(r.stderr).not.toContain("s3cret");
  });

  it("stops on SIGTERM after the requests in flight, and says so", async () => {
    const conf = join(mkdtempSync(join(tmpdir(), "berth-")), "placement.conf");
    writeFileSync(conf, `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = sqlite://\nsync_on_startup = True\n`);
    const child = spawn(process.execPath, ["bin/berth.js", "serve", "--config-file", conf, "--host", "127.0.0.1", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in: ${out}`)), 10_000);
      child.stdout.on("data", () => {
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    // A keep-alive connection stays open: the stop must not wait for it.
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { "x-auth-token": "admin" } });
    expect(res.status).toBe(200);
    // A request in flight when the signal comes: its headers are read (the server has answered
    // 100 Continue), its body is sent only once the server says it is stopping.
    const body = JSON.stringify({ name: "in-flight" });
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.on("data", (d) => (answer += d));
    socket.on("error", () => {});
    const until = async (what: string, done: () => boolean) => {
      for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
      if (!done()) throw new Error(`no ${what}: server said ${JSON.stringify(out)}, client got ${JSON.stringify(answer)}`);
    };
    socket.write(
      "POST /resource_providers HTTP/1.1\r\nHost: x\r\nx-auth-token: admin\r\ncontent-type: application/json\r\n" +
        `content-length: ${body.length}\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n`,
    );
    await until("100 Continue", () => answer.includes("100 Continue"));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    child.kill("SIGTERM");
    await until("stop message", () => out.includes("SIGTERM: finishing the requests in flight, then stopping"));
    expect(child.exitCode).toBeNull();
    socket.write(body);
    await until("answer to the request in flight", () => /\r\n\r\nHTTP\/1\.1 \d+ /.test(answer));
    expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 /);
    expect(await exited).toBe(0);
    expect(out).toContain('"msg":"stopped"');
  });

  it("creates the schema on first start with sync_on_startup and serves", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "berth-")), "p.sqlite");
    const { app, store } = await prepare(testConfig({ placement_database: { connection: `sqlite:///${file}`, sync_on_startup: "true" } }));
    const res = await app.request("/");
    expect(res.status).toBe(200);
    await store.close();
    const again = openStore(`sqlite:///${file}`);
    expect(await currentRevision(again)).toBe("422ece571366");
    await again.close();
  });
});
