// oslo.log's options: log_file and log_dir as oslo.log combines them, debug, use_stderr;
// use_syslog and use_journal refused by name; every request's line carries both request ids.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { ConfigError, testConfig } from "../../src/config.js";
import { openStore } from "../../src/db/open.js";
import { syncSchema } from "../../src/db/sync.js";
import { createLogging, logFilePath } from "../../src/logging.js";

const logging = (o: Partial<Parameters<typeof logFilePath>[0]>) => ({
  logFile: undefined,
  logDir: undefined,
  useStderr: false,
  useSyslog: false,
  useJournal: false,
  ...o,
});

describe("logging options", () => {
  it("puts log_file under log_dir as oslo.log does", () => {
    expect(logFilePath(logging({}))).toBeUndefined();
    expect(logFilePath(logging({ logFile: "/var/log/p.log" }))).toBe("/var/log/p.log");
    expect(logFilePath(logging({ logFile: "p.log", logDir: "/var/log/placement" }))).toBe("/var/log/placement/p.log");
    expect(logFilePath(logging({ logFile: "/elsewhere/p.log", logDir: "/var/log/placement" }))).toBe("/elsewhere/p.log");
    expect(logFilePath(logging({ logDir: "/var/log/placement" }))).toBe("/var/log/placement/berth.log");
  });

  it("reads them from placement.conf", () => {
    const c = testConfig({ DEFAULT: { debug: "true", log_dir: "/tmp/x", log_file: "p.log", use_stderr: "true" } });
    expect(c.debug).toBe(true);
    expect(c.logging).toEqual({ logFile: "p.log", logDir: "/tmp/x", useStderr: true, useSyslog: false, useJournal: false });
  });

  it("refuses use_syslog and use_journal, naming the option", () => {
    expect(() => createLogging(testConfig({ DEFAULT: { use_syslog: "True" } }))).toThrow(ConfigError);
    expect(() => createLogging(testConfig({ DEFAULT: { use_syslog: "True" } }))).toThrow(/^\[DEFAULT\] use_syslog = True is not supported by Berth/);
    expect(() => createLogging(testConfig({ DEFAULT: { use_journal: "True" } }))).toThrow(/^\[DEFAULT\] use_journal = True is not supported by Berth/);
    expect(createLogging(testConfig({ DEFAULT: { use_syslog: "False", use_journal: "False" } })).target).toBe("stdout");
  });

  it("writes to the log file at the level debug chooses", () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-log-"));
    const l = createLogging(testConfig({ DEFAULT: { log_dir: dir, log_file: "placement.log", debug: "True" } }));
    expect(l.target).toBe(join(dir, "placement.log"));
    l.logger.debug("a debug line");
    l.logger.info("an info line");
    const lines = readFileSync(join(dir, "placement.log"), "utf8")
      .trim()
      .split("\n")
      .map((s) => JSON.parse(s));
    expect(lines.map((x) => x.msg)).toEqual(["a debug line", "an info line"]);
    const quiet = createLogging(testConfig({ DEFAULT: { log_file: join(dir, "quiet.log") } }));
    quiet.logger.debug("not written");
    quiet.logger.info("written");
    const quietLines = readFileSync(join(dir, "quiet.log"), "utf8")
      .trim()
      .split("\n")
      .map((s) => JSON.parse(s));
    expect(quietLines.map((x) => x.msg)).toEqual(["written"]);
    expect(createLogging(testConfig({ DEFAULT: { log_dir: dir, use_stderr: "true" } })).target).toBe(`${join(dir, "berth.log")} and stderr`);
  });

  it("says which option names a log file it cannot open", () => {
    expect(() => createLogging(testConfig({ DEFAULT: { log_file: "/nonexistent-dir/p.log" } }))).toThrow(
      /^Cannot open the log file \/nonexistent-dir\/p\.log \(\[DEFAULT\] log_file\): /,
    );
    expect(() => createLogging(testConfig({ DEFAULT: { log_dir: "/nonexistent-dir" } }))).toThrow(/\(\[DEFAULT\] log_dir\)/);
  });
});

describe("request log lines", () => {
  it("carry Berth's request id and the caller's global request id", async () => {
    const out: string[] = [];
    const logger = pino({ level: "info" }, new Writable({ write: (c, _e, done) => (out.push(String(c)), done()) }));
    const store = openStore("sqlite://");
    await syncSchema(store);
    const app = createApp({ store, config: testConfig(), logger });
    const global = `req-${crypto.randomUUID()}`;
    const a = await app.request("/resource_providers", { headers: { "x-auth-token": "admin", "x-openstack-request-id": global } });
    const b = await app.request("/resource_providers", { headers: { "x-auth-token": "admin", "x-openstack-request-id": "not-a-request-id" } });
    const lines = out.map((l) => JSON.parse(l)).filter((l) => l.msg === "GET /resource_providers 200");
    expect(lines).toHaveLength(2);
    expect(lines[0].requestId).toBe(a.headers.get("x-openstack-request-id"));
    expect(lines[0].requestId).not.toBe(global);
    expect(lines[0].globalRequestId).toBe(global);
    // A malformed global id is not taken (oslo.middleware checks the form too).
    expect(lines[1].requestId).toBe(b.headers.get("x-openstack-request-id"));
    expect(lines[1].globalRequestId).toBeUndefined();
    // The line of an unexpected error carries both too (a closed database makes one).
    await store.close();
    const c = await app.request("/resource_providers", { headers: { "x-auth-token": "admin", "x-openstack-request-id": global } });
    expect(c.status).toBe(500);
    const error = out.map((l) => JSON.parse(l)).find((l) => l.msg === "unexpected error");
    expect(error.requestId).toBe(c.headers.get("x-openstack-request-id"));
    expect(error.globalRequestId).toBe(global);
  });
});
