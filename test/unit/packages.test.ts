// The workspace's packages as their audiences get them (README "Layout", ../shared/STYLE.md):
// the SDK installs alone and works, the CLI brings no server code, native module or database
// driver, and tests run the packages' sources, never a dist/ that could be stale.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as clientByName from "@berth/client";
import * as clientBySource from "../../packages/client/src/index.js";
import * as cliByName from "@berth/cli";
import * as cliBySource from "../../packages/cli/src/index.js";
import * as testingByName from "@berth/testing";
import * as testingBySource from "../../packages/testing/src/index.js";
import * as serverByName from "berth/server";
import * as serverBySource from "../../src/server.js";
import { startTestServer, type TestServer } from "@berth/testing";
import { first } from "@berth/client/common";

const ROOT = new URL("../..", import.meta.url).pathname;
const DRIVERS = ["better-sqlite3", "pg", "mysql2", "kysely", "sqlite3", "mariadb"];

interface Packed {
  filename: string;
  files: { path: string }[];
}

/** `npm pack` of a workspace into dir (dist/ is up to date: test/global-setup.ts built it). */
function pack(workspace: string, dir: string): Packed {
  const out = execFileSync("npm", ["pack", "-w", workspace, "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" });
  return first(JSON.parse(out) as Packed[]);
}

/** The packed package.json. */
function manifest(tarball: string): Record<string, any> {
  return JSON.parse(execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }));
}

/** An empty npm project in a fresh temporary directory, outside the workspace. */
function emptyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-packages-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "probe", version: "1.0.0", private: true, type: "module" }));
  return dir;
}

describe("tests run the packages' sources", () => {
  it("resolves each package by name to the module its source path gives (the @berth/source condition)", () => {
    expect(clientByName.PlacementClient).toBe(clientBySource.PlacementClient);
    expect(cliByName.runCli).toBe(cliBySource.runCli);
    expect(testingByName.startTestServer).toBe(testingBySource.startTestServer);
    expect(serverByName.prepare).toBe(serverBySource.prepare);
  });
});

describe("packages", () => {
  let server: TestServer;
  let work: string;
  beforeAll(async () => {
    server = await startTestServer();
    work = mkdtempSync(join(tmpdir(), "berth-pack-"));
  });
  afterAll(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("@berth/client: no dependencies, only dist/, installs alone without a registry, and works", async () => {
    const packed = pack("packages/client", work);
    const tarball = join(work, packed.filename);
    const m = manifest(tarball);
    expect(m.name).toBe("@berth/client");
    for (const k of ["dependencies", "peerDependencies", "optionalDependencies", "bundleDependencies"]) expect(m[k], k).toBeUndefined();
    const paths = packed.files.map((f) => f.path);
    expect(paths).toContain("dist/index.js");
    expect(paths).toContain("dist/index.d.ts");
    expect(paths).toContain("README.md");
    expect(paths.filter((p) => !/^(dist\/|README\.md$|package\.json$)/.test(p) || /\.(map|tsbuildinfo)$/.test(p))).toEqual([]);

    // NOTE: --offline: with no dependencies there is nothing to fetch, so no registry is needed.
    const project = emptyProject();
    try {
      execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], { cwd: project, stdio: "pipe" });
      const nm = join(project, "node_modules");
      expect(readdirSync(nm).filter((e) => e !== ".package-lock.json")).toEqual(["@berth"]);
      expect(readdirSync(join(nm, "@berth"))).toEqual(["client"]);

      // Its types stand alone: a consumer type-checks against them with no @types/node, only the
      // platform's fetch (lib DOM).
      writeFileSync(
        join(project, "use.ts"),
        'import { PlacementClient, type ResourceProvider } from "@berth/client";\n' +
          'const c = new PlacementClient({ endpoint: "http://placement", token: "t" });\n' +
          "export const list: Promise<ResourceProvider[]> = c.providers.list();\n",
      );
      const compilerOptions = {
        noEmit: true,
        strict: true,
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        lib: ["es2022", "dom"],
        types: [],
      };
      writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["use.ts"] }));
      execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], { cwd: project, stdio: "pipe" });

      writeFileSync(
        join(project, "run.js"),
        'import { PlacementClient } from "@berth/client";\n' +
          "const c = new PlacementClient({ endpoint: process.argv[2], token: process.argv[3] });\n" +
          'const rp = await c.providers.create({ name: "from-the-packed-sdk" });\n' +
          "const found = await c.providers.list({ name: rp.name });\n" +
          "console.log(JSON.stringify(found.map((p) => p.uuid).concat(rp.uuid)));\n",
      );
      // NOTE: async: the server answering it runs in this process.
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ["run.js", server.url, server.token], { cwd: project }, (e, stdout, stderr) =>
          e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout),
        );
      });
      const [found, created] = JSON.parse(out) as string[];
      expect(found).toBe(created);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it("@berth/cli: the SDK, commander and yaml; no server code, native module or database driver", async () => {
    const packed = pack("packages/cli", work);
    const tarball = join(work, packed.filename);
    const m = manifest(tarball);
    expect(m.name).toBe("@berth/cli");
    expect(m.bin).toEqual({ berth: "bin/berth.js" });
    expect(Object.keys(m.dependencies).sort()).toEqual(["@berth/client", "commander", "yaml"]);
    expect(m.peerDependencies ?? {}).toEqual({});
    expect(m.optionalDependencies ?? {}).toEqual({});
    expect(packed.files.map((f) => f.path).filter((p) => !/^(dist\/|bin\/berth\.js$|README\.md$|package\.json$)/.test(p))).toEqual([]);

    // Everything an install of it brings, from the lock file: the dependencies' dependencies too.
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")).packages as Record<string, any>;
    const closure = new Map<string, any>();
    const visit = (from: string, deps: Record<string, string> = {}) => {
      for (const name of Object.keys(deps)) {
        let at = from;
        let key: string | undefined;
        for (;;) {
          const k = `${at ? `${at}/` : ""}node_modules/${name}`;
          if (lock[k]) {
            key = k;
            break;
          }
          if (!at) break;
          at = at.includes("/node_modules/") ? at.slice(0, at.lastIndexOf("/node_modules/")) : "";
        }
        expect(key, `${from} -> ${name}`).toBeDefined();
        const entry = lock[key!].link ? lock[lock[key!].resolved] : lock[key!];
        if (closure.has(name)) continue;
        closure.set(name, entry);
        visit(lock[key!].link ? lock[key!].resolved : key!, { ...entry.dependencies, ...entry.optionalDependencies });
      }
    };
    visit("packages/cli", m.dependencies);
    expect([...closure.keys()].sort()).toEqual(["@berth/client", "commander", "yaml"]);
    for (const [name, entry] of closure) {
      expect(DRIVERS, name).not.toContain(name);
      expect(entry.hasInstallScript ?? false, `${name} runs an install script`).toBe(false);
    }

    // The packed CLI runs with only those: unpacked beside the packed SDK, commander and yaml.
    const project = emptyProject();
    try {
      const nm = join(project, "node_modules");
      for (const [dir, tgz] of [
        ["@berth/cli", tarball],
        ["@berth/client", join(work, pack("packages/client", work).filename)],
      ] as const) {
        mkdirSync(join(nm, dir), { recursive: true });
        execFileSync("tar", ["-xzf", tgz, "-C", join(nm, dir), "--strip-components=1"]);
      }
      for (const dep of ["commander", "yaml"]) symlinkSync(join(ROOT, "node_modules", dep), join(nm, dep));
      expect(existsSync(join(nm, "@berth/cli/src"))).toBe(false);
      const run = (...args: string[]) =>
        new Promise<string>((resolve, reject) => {
          execFile(
            process.execPath,
            [join(nm, "@berth/cli/bin/berth.js"), ...args],
            { cwd: project, env: { PATH: process.env.PATH ?? "", HOME: project, OS_ENDPOINT: server.url, OS_TOKEN: server.token } },
            (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout)),
          );
        });
      await run("resource", "provider", "create", "from-the-packed-cli", "-f", "json");
      const listed = JSON.parse(await run("resource", "provider", "list", "--name", "from-the-packed-cli", "-f", "json")) as { name: string }[];
      expect(listed.map((p) => p.name)).toEqual(["from-the-packed-cli"]);
      // Without the server package beside it, `berth` has the client commands only.
      await expect(run("db", "version")).rejects.toThrow(/unknown command 'db'/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it("@berth/testing: the server and the SDK; the server: the CLI for its bin, the SDK for its common leaf only", () => {
    const testing = manifest(join(work, pack("packages/testing", work).filename));
    expect(Object.keys(testing.dependencies).sort()).toEqual(["@berth/client", "berth"]);
    const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(Object.keys(root.dependencies)).toContain("@berth/cli");
    // NOTE: for @berth/client/common (element access, the capacity rule); the layer rules keep the
    // server off the rest of the SDK.
    expect(Object.keys(root.dependencies)).toContain("@berth/client");
    expect(Object.keys(root.dependencies)).not.toContain("@berth/testing");
  });
});
