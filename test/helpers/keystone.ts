// A real Keystone for tests (Debian's `keystone` under uwsgi, SQLite backend), started once per test
// file that needs it, with the users, projects and roles the RBAC cases use.
// Skipped with a visible note where it cannot be installed or started; required under CI=true.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:http";
import Database from "better-sqlite3";
import { promisify } from "node:util";
import { freePort } from "./serve.js";

const run = promisify(execFile);
const ci = process.env.CI === "true";
const UWSGI_PLUGIN_DIR = "/usr/lib/uwsgi/plugins";
export const ADMIN_PASSWORD = "admin-secret";
export const USER_PASSWORD = "user-secret";

/** How a test asks for a token: a user, and a project name, "system" or a domain id. */
export type Scope = { project: string } | { system: true } | { domain: string };

export interface Keystone {
  /** http://127.0.0.1:PORT/v3 */
  readonly url: string;
  /** [keystone_authtoken] options for Berth's own user (`placement`, service role on project `service`). */
  readonly authtoken: Record<string, string>;
  /** Project ids by name. */
  readonly projects: Readonly<Record<string, string>>;
  /** User ids by name. */
  readonly users: Readonly<Record<string, string>>;
  token(user: string, scope: Scope): Promise<string>;
  revoke(token: string): Promise<void>;
  /** A token of an application credential of `user` (on project alpha) restricted by these access rules. */
  appCredentialToken(user: string, accessRules: { service: string; method: string; path: string }[]): Promise<string>;
  /** A call to Keystone's API as its (system-scoped) admin. */
  admin(method: string, path: string, body?: unknown): Promise<any>;
  stop(): Promise<void>;
}

/** Why Keystone cannot run here, or undefined when its programs are installed. */
export function keystoneMissing(): string | undefined {
  if (!existsSync("/usr/bin/keystone-manage") || !existsSync("/usr/bin/keystone-wsgi-public")) return "keystone is not installed (apt-get install keystone)";
  if (!existsSync("/usr/bin/uwsgi") || !existsSync(join(UWSGI_PLUGIN_DIR, "python3_plugin.so")))
    return "uwsgi with its python3 plugin is not installed (apt-get install uwsgi-core uwsgi-plugin-python3)";
  return undefined;
}

/** Starts Keystone, or returns the reason it cannot (and throws instead under CI=true). */
export async function startKeystone(): Promise<Keystone | string> {
  const missing = keystoneMissing();
  if (missing) {
    if (ci) throw new Error(`Keystone is required under CI=true: ${missing}`);
    console.warn(`NOTE: ${missing}; the Keystone test suites are skipped`);
    return missing;
  }
  const dir = mkdtempSync(join(tmpdir(), "berth-keystone-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/v3`;
  const conf = join(dir, "keystone.conf");
  writeFileSync(
    conf,
    [
      "[DEFAULT]",
      `log_file = ${join(dir, "keystone.log")}`,
      "[database]",
      `connection = sqlite:///${join(dir, "keystone.db")}`,
      "[fernet_tokens]",
      `key_repository = ${join(dir, "fernet")}`,
      "[fernet_receipts]",
      `key_repository = ${join(dir, "receipts")}`,
      "[credential]",
      `key_repository = ${join(dir, "credential")}`,
      "[identity]",
      // The fewest bcrypt rounds: every token request hashes the password once.
      "password_hash_rounds = 4",
      "",
    ].join("\n"),
  );
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once("exit", r));
      process.kill(-child.pid!, "SIGINT"); // uwsgi's master and workers, started in their own group
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
    }
    if (!process.env.BERTH_KEEP_KEYSTONE) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const manage = (...args: string[]) => run("keystone-manage", ["--config-file", conf, ...args], { cwd: dir });
    await manage("db_sync");
    // NOTE: WAL, or a read transaction Keystone leaves open blocks the next write ("database is locked").
    const db = new Database(join(dir, "keystone.db"));
    db.pragma("journal_mode = WAL");
    db.close();
    await manage("fernet_setup", "--keystone-user", "root", "--keystone-group", "root");
    await manage("credential_setup", "--keystone-user", "root", "--keystone-group", "root");
    await manage(
      "bootstrap",
      "--bootstrap-password",
      ADMIN_PASSWORD,
      "--bootstrap-admin-url",
      url,
      "--bootstrap-public-url",
      url,
      "--bootstrap-internal-url",
      url,
      "--bootstrap-region-id",
      "RegionOne",
    );
    // NOTE: one worker process: enough for the tests, and the machine's two cores are shared.
    child = spawn(
      "uwsgi",
      [
        "--plugin-dir",
        UWSGI_PLUGIN_DIR,
        "--plugin",
        "python3",
        "--http-socket",
        `127.0.0.1:${port}`,
        "--master",
        "--processes",
        "1",
        "--wsgi-file",
        "/usr/bin/keystone-wsgi-public",
        "--die-on-term",
        "--logto",
        join(dir, "uwsgi.log"),
      ],
      { cwd: dir, env: { ...process.env, OS_KEYSTONE_CONFIG_FILES: conf }, detached: true, stdio: "ignore" },
    );
    // NOTE: a test process that exits without stop() (a crash, process.exit) takes its Keystone along.
    const orphan = child;
    process.once("exit", () => {
      if (orphan.exitCode === null) {
        try {
          process.kill(-orphan.pid!, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      if (!process.env.BERTH_KEEP_KEYSTONE) rmSync(dir, { recursive: true, force: true });
    });
    const log = () => ["uwsgi.log", "keystone.log"].map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8").slice(-2000) : "")).join("\n");
    await waitForKeystone(url, child, log);
    const ks = await populate(url);
    return { ...ks, url, stop };
  } catch (e) {
    await stop();
    if (ci) throw e;
    console.warn(
      `NOTE: Keystone could not be started (${(e as Error).message.slice(0, 500)} ${String((e as { cause?: unknown }).cause ?? "")}); the Keystone test suites are skipped`,
    );
    return `Keystone could not be started: ${(e as Error).message}`;
  }
}

async function waitForKeystone(url: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`uwsgi exited: ${log()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Keystone did not answer within 60 s: ${log()}`);
}

// NOTE: node:http without keep-alive: uwsgi's --http-socket closes each connection after its
// answer, and fetch's pooled connections then fail with "other side closed".
function call(
  url: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; subject: string | null }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method, agent: false, headers: { "content-type": "application/json", ...(token ? { "x-auth-token": token } : {}), ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => {
          if ((res.statusCode ?? 0) >= 400) return reject(new Error(`Keystone ${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
          const subject = res.headers["x-subject-token"];
          resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined, subject: typeof subject === "string" ? subject : null });
        });
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

/**
 * Projects alpha, beta and service; a `service` role and an `other` role (implies nothing);
 * users with roles on alpha: alice admin, mona member, rita reader, olga other; `placement` (Berth
 * itself) and `nova` with the service role on project service; alice is also admin of the default
 * domain; the bootstrap's admin has the admin role on the system.
 */
async function populate(url: string): Promise<Omit<Keystone, "url" | "stop">> {
  const issue = async (auth: unknown) => (await call(url, undefined, "POST", "/auth/tokens", auth)).subject!;
  const password = (name: string, pw: string) => ({ methods: ["password"], password: { user: { name, domain: { id: "default" }, password: pw } } });
  const admin = await issue({ auth: { identity: password("admin", ADMIN_PASSWORD), scope: { system: { all: true } } } });
  const roles: Record<string, string> = {};
  for (const r of (await call(url, admin, "GET", "/roles")).body.roles) roles[r.name] = r.id;
  for (const name of ["service", "other"]) roles[name] = (await call(url, admin, "POST", "/roles", { role: { name } })).body.role.id;
  const projects: Record<string, string> = {};
  for (const name of ["alpha", "beta", "service"])
    projects[name] = (await call(url, admin, "POST", "/projects", { project: { name, domain_id: "default" } })).body.project.id;
  const users: Record<string, string> = {};
  const grants: [string, string, string][] = [
    ["alice", "alpha", "admin"],
    ["mona", "alpha", "member"],
    ["rita", "alpha", "reader"],
    ["olga", "alpha", "other"],
    ["placement", "service", "service"],
    ["nova", "service", "service"],
  ];
  for (const [user, project, role] of grants) {
    users[user] ??= (await call(url, admin, "POST", "/users", { user: { name: user, domain_id: "default", password: USER_PASSWORD } })).body.user.id;
    await call(url, admin, "PUT", `/projects/${projects[project]}/users/${users[user]}/roles/${roles[role]}`);
  }
  await call(url, admin, "PUT", `/domains/default/users/${users.alice}/roles/${roles.admin}`);
  const token = (user: string, scope: Scope) =>
    issue({
      auth: {
        identity: password(user, user === "admin" ? ADMIN_PASSWORD : USER_PASSWORD),
        scope:
          "system" in scope
            ? { system: { all: true } }
            : "domain" in scope
              ? { domain: { id: scope.domain } }
              : { project: { name: scope.project, domain: { id: "default" } } },
      },
    });
  return {
    authtoken: {
      auth_type: "password",
      auth_url: url,
      www_authenticate_uri: url.replace(/\/v3$/, ""),
      username: "placement",
      password: USER_PASSWORD,
      user_domain_name: "Default",
      project_name: "service",
      project_domain_name: "Default",
      region_name: "RegionOne",
      interface: "internal",
    },
    projects,
    users,
    token,
    appCredentialToken: async (user, accessRules) => {
      const own = await token(user, { project: "alpha" });
      const name = `ac-${Math.random().toString(36).slice(2)}`;
      const ac = (
        await call(url, own, "POST", `/users/${users[user]}/application_credentials`, { application_credential: { name, access_rules: accessRules } })
      ).body.application_credential;
      return issue({ auth: { identity: { methods: ["application_credential"], application_credential: { id: ac.id, secret: ac.secret } } } });
    },
    admin: async (method, path, body) => (await call(url, admin, method, path, body)).body,
    revoke: async (t) => void (await call(url, admin, "DELETE", "/auth/tokens", undefined, { "x-subject-token": t })),
  };
}
