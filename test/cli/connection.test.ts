// Connecting as the openstack CLI does, against an in-process Berth: global options before or
// after the command, clouds.yaml and secure.yaml from the usual places, TLS (a real HTTPS server
// with a self-signed certificate in front of Berth), and what a server that does not answer gets.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, request, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTarget } from "../client/target.js";
import { runner, type RunOptions } from "./run.js";

const target = useTarget();
const tmp = () => mkdtempSync(join(tmpdir(), "berth-cli-conn-"));
const bare = (o: RunOptions = {}) => runner(() => o);

describe("global options", () => {
  it("go before the command, after it, or both", async () => {
    const berth = bare();
    const { url, token } = target();
    const before = await berth("--os-endpoint", url, "--os-token", token, "resource", "class", "show", "VCPU", "-f", "value");
    expect(before).toMatchObject({ code: 0, out: "VCPU\n" });
    const after = await berth("resource", "class", "show", "VCPU", "-f", "value", "--os-endpoint", url, "--os-token", token);
    expect(after).toMatchObject({ code: 0, out: "VCPU\n" });
    const split = await berth("--os-endpoint", url, "resource", "class", "show", "--os-token", token, "VCPU", "-f", "value");
    expect(split).toMatchObject({ code: 0, out: "VCPU\n" });
    const pinned = await berth("--os-endpoint", url, "--os-token", token, "--os-placement-api-version", "1.1", "resource", "class", "list");
    expect(pinned.code).toBe(1);
    expect(pinned.err).toBe("berth: microversion 1.1 was requested, but resourceClasses needs 1.2\n");
    // Flags win over the variables.
    const env = await bare({ env: { OS_ENDPOINT: "http://127.0.0.1:9", OS_TOKEN: "x" } })(
      "--os-endpoint",
      url,
      "--os-token",
      token,
      "trait",
      "show",
      "HW_CPU_X86_AVX2",
      "-f",
      "value",
    );
    expect(env).toMatchObject({ code: 0, out: "HW_CPU_X86_AVX2\n" });
  });

  it("exit codes: 2 for usage errors (commander's and ours), 1 for failures, 0 for help", async () => {
    const berth = bare({ env: { OS_ENDPOINT: target().url, OS_TOKEN: target().token } });
    expect((await berth("resource", "class", "list", "--bogus")).code).toBe(2);
    expect((await berth("no-such-command")).code).toBe(2);
    expect((await berth("resource", "class", "show")).code).toBe(2); // missing argument
    expect((await berth("resource", "provider", "list", "--resource", "VCPU")).code).toBe(2); // our own check
    expect((await berth("resource", "class", "list", "--help")).code).toBe(0);
    expect((await berth("resource", "class", "show", "CUSTOM_NOPE")).code).toBe(1);
  });
});

describe("clouds.yaml", () => {
  const cloud = (name: string, body: string) => `clouds:\n  ${name}:\n${body.replace(/^/gm, "    ")}\n`;

  it("reads --os-cloud or OS_CLOUD from ./clouds.yaml, ~/.config/openstack or OS_CLIENT_CONFIG_FILE, with secure.yaml merged in", async () => {
    const { url, token } = target();
    const cwd = tmp();
    const home = tmp();
    mkdirSync(join(home, ".config", "openstack"), { recursive: true });
    writeFileSync(join(cwd, "clouds.yaml"), cloud("here", `auth_type: admin_token\nauth:\n  endpoint: ${url}`));
    writeFileSync(join(home, ".config", "openstack", "secure.yaml"), cloud("here", `auth:\n  token: ${token}`));
    const viaFlag = await bare({ cwd, home })("--os-cloud", "here", "resource", "class", "show", "VCPU", "-f", "value");
    expect(viaFlag).toMatchObject({ code: 0, out: "VCPU\n" });
    const viaEnv = await bare({ cwd, home, env: { OS_CLOUD: "here" } })("resource", "class", "show", "VCPU", "-f", "value");
    expect(viaEnv).toMatchObject({ code: 0, out: "VCPU\n" });
    // The variables win over the cloud.
    const overridden = await bare({ cwd, home, env: { OS_CLOUD: "here", OS_ENDPOINT: "http://127.0.0.1:9" } })("resource", "class", "list");
    expect(overridden.code).toBe(1);
    expect(overridden.err).toContain("http://127.0.0.1:9");

    const elsewhere = join(tmp(), "mine.yaml");
    writeFileSync(elsewhere, cloud("there", `auth_type: admin_token\nauth:\n  endpoint: ${url}\n  token: ${token}\nplacement_api_version: "1.1"`));
    const explicit = await bare({ cwd, home, env: { OS_CLIENT_CONFIG_FILE: elsewhere } })("--os-cloud", "there", "resource", "class", "list");
    expect(explicit.err).toContain("microversion 1.1 was requested");

    const missing = await bare({ cwd, home })("--os-cloud", "nowhere", "resource", "class", "list");
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(`berth: cloud nowhere was not found in ${join(cwd, "clouds.yaml")} and ${join(home, ".config", "openstack", "secure.yaml")}\n`);
  });
});

describe("servers that do not answer", () => {
  let silent: NetServer;
  let silentUrl = "";
  const sockets: Socket[] = [];
  let closedUrl = "";
  beforeAll(async () => {
    // Accepts connections and never answers.
    silent = createNetServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    // A port nobody listens on any more.
    const gone = createHttpServer();
    await new Promise<void>((r) => gone.listen(0, "127.0.0.1", r));
    closedUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
    await new Promise((r) => gone.close(r));
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise((r) => silent.close(r));
  });

  it("names the endpoint and the cause: connection refused, timeout", async () => {
    const refused = await bare()("--os-endpoint", closedUrl, "--os-token", "admin", "trait", "list");
    expect(refused.code).toBe(1);
    // Never sent, so retried (the SDK's retries), then named.
    expect(refused.err).toBe(`berth: cannot reach the placement endpoint ${closedUrl}: connection refused (GET ${closedUrl}/, after 3 attempts)\n`);

    const cwd = tmp();
    writeFileSync(
      join(cwd, "clouds.yaml"),
      `clouds:\n  slow:\n    api_timeout: 0.5\n    auth_type: admin_token\n    auth:\n      endpoint: ${silentUrl}\n      token: admin\n`,
    );
    const timedOut = await bare({ cwd })("--os-cloud", "slow", "trait", "list");
    expect(timedOut.code).toBe(1);
    expect(timedOut.err).toBe(`berth: cannot reach the placement endpoint ${silentUrl}: timed out after 0.5 s (GET ${silentUrl}/, after 3 attempts)\n`);

    const keystone = await bare()("--os-auth-url", `${closedUrl}/v3`, "--os-username", "u", "--os-password", "p", "trait", "list");
    expect(keystone.code).toBe(1);
    expect(keystone.err).toBe(`berth: cannot reach Keystone at ${closedUrl}/v3/auth/tokens: connection refused\n`);
  });
});

describe("TLS", () => {
  let https: Server;
  let url = "";
  let dir = "";
  beforeAll(async () => {
    dir = tmp();
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    const { readFileSync } = await import("node:fs");
    // An HTTPS front for the in-process Berth, as a TLS-terminating proxy would be.
    https = createHttpsServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, (req, res) => {
      const back = request(`${target().url}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 500, r.headers);
        r.pipe(res);
      });
      req.pipe(back);
    });
    await new Promise<void>((r) => https.listen(0, "127.0.0.1", r));
    url = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    https.closeAllConnections();
    await new Promise((r) => https.close(r));
  });

  it("refuses an unknown CA, naming the cause; trusts --os-cacert or cacert:, or skips checks with --insecure or verify: false", async () => {
    const berth = bare();
    const untrusted = await berth("--os-endpoint", url, "--os-token", "admin", "resource", "class", "show", "VCPU");
    expect(untrusted.code).toBe(1);
    expect(untrusted.err).toMatch(
      new RegExp(
        `^berth: cannot reach the placement endpoint ${url}: TLS: .*self[- ]signed.* \\(DEPTH_ZERO_SELF_SIGNED_CERT\\) \\(GET ${url}/, after 3 attempts\\); give --os-cacert`,
      ),
    );
    const trusted = await berth(
      "--os-endpoint",
      url,
      "--os-token",
      "admin",
      "--os-cacert",
      join(dir, "cert.pem"),
      "resource",
      "class",
      "show",
      "VCPU",
      "-f",
      "value",
    );
    expect(trusted).toMatchObject({ code: 0, out: "VCPU\n" });
    const insecure = await berth("--insecure", "--os-endpoint", url, "--os-token", "admin", "resource", "class", "show", "VCPU", "-f", "value");
    expect(insecure).toMatchObject({ code: 0, out: "VCPU\n" });
    const viaEnv = await bare({ env: { OS_ENDPOINT: url, OS_TOKEN: "admin", OS_CACERT: join(dir, "cert.pem") } })(
      "resource",
      "class",
      "show",
      "VCPU",
      "-f",
      "value",
    );
    expect(viaEnv).toMatchObject({ code: 0, out: "VCPU\n" });

    const cwd = tmp();
    const entry = (extra: string) => `    auth_type: admin_token\n    auth:\n      endpoint: ${url}\n      token: admin\n${extra}`;
    writeFileSync(join(cwd, "clouds.yaml"), `clouds:\n  ca:\n${entry(`    cacert: ${join(dir, "cert.pem")}\n`)}  noverify:\n${entry("    verify: false\n")}`);
    expect((await bare({ cwd })("--os-cloud", "ca", "resource", "class", "show", "VCPU", "-f", "value")).out).toBe("VCPU\n");
    expect((await bare({ cwd })("--os-cloud", "noverify", "resource", "class", "show", "VCPU", "-f", "value")).out).toBe("VCPU\n");
    // --verify overrides verify: false.
    expect((await bare({ cwd })("--os-cloud", "noverify", "--verify", "resource", "class", "show", "VCPU")).code).toBe(1);
    expect((await berth("--insecure", "--verify", "--os-endpoint", url, "--os-token", "admin", "trait", "list")).code).toBe(2);
  });

  it("presents a client certificate with --os-cert and --os-key", async () => {
    const { readFileSync } = await import("node:fs");
    const cert = readFileSync(join(dir, "cert.pem"));
    // This front only talks to clients whose certificate its CA (the same self-signed one) signed.
    const strict = createHttpsServer({ key: readFileSync(join(dir, "key.pem")), cert, ca: cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const back = request(`${target().url}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 500, r.headers);
        r.pipe(res);
      });
      req.pipe(back);
    });
    await new Promise<void>((r) => strict.listen(0, "127.0.0.1", r));
    const strictUrl = `https://127.0.0.1:${(strict.address() as AddressInfo).port}`;
    try {
      const base = ["--os-endpoint", strictUrl, "--os-token", "admin", "--os-cacert", join(dir, "cert.pem")];
      const without = await bare()(...base, "resource", "class", "show", "VCPU");
      expect(without.code).toBe(1);
      expect(without.err).toContain(`berth: cannot reach the placement endpoint ${strictUrl}: `);
      const withCert = await bare()(
        ...base,
        "--os-cert",
        join(dir, "cert.pem"),
        "--os-key",
        join(dir, "key.pem"),
        "resource",
        "class",
        "show",
        "VCPU",
        "-f",
        "value",
      );
      expect(withCert).toMatchObject({ code: 0, out: "VCPU\n" });
    } finally {
      strict.closeAllConnections();
      await new Promise((r) => strict.close(r));
    }
  });
});
