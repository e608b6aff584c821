// The Dockerfile, the systemd unit and docs/deploy.md name files, commands and options that exist
// (no container engine runs here, so the image itself is not built in tests).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultConfigFiles } from "../../src/config.js";
import { at } from "@berth/client/common";

const root = new URL("../../", import.meta.url).pathname;
const read = (f: string) => readFileSync(join(root, f), "utf8");
const bin = join(root, "bin/berth.js");
const help = (words: string[]) => execFileSync(process.execPath, [bin, ...words, "--help"]).toString();

/** Checks that `berth <words> --options` is a command with those options. */
function knownCommand(args: string[]): void {
  const words = args.filter((a, i) => !a.startsWith("-") && !(i > 0 && at(args, i - 1).startsWith("--") && !["--json"].includes(at(args, i - 1))));
  const command = words.filter((w) => /^[a-z_]+$/.test(w)).slice(0, 3);
  const text = help(command);
  expect(text.split("\n")[0], args.join(" ")).toMatch(new RegExp(`^Usage: berth ${command.join(" ")} `));
  for (const opt of args.filter((a) => a.startsWith("--"))) expect(text, `${args.join(" ")}: ${opt}`).toContain(opt);
}

describe("Dockerfile", () => {
  const docker = read("Dockerfile");
  const instructions = docker.split("\n").filter((l) => /^[A-Z]+ /.test(l));

  it("copies into the build stage only what the repository has (and .dockerignore keeps)", () => {
    const ignored = read(".dockerignore").split("\n").filter(Boolean);
    const copies = instructions.filter((l) => l.startsWith("COPY ") && !l.includes("--from"));
    // The build stage copies the sources in: no COPY found would check nothing.
    expect(copies.join("\n")).toMatch(/^COPY .*\bsrc\b/m);
    for (const line of copies) {
      const parts = line.split(/\s+/).slice(1, -1);
      for (const p of parts) {
        expect(existsSync(join(root, p)), p).toBe(true);
        expect(ignored, p).not.toContain(p);
      }
    }
  });

  it("builds with npm ci and npm run build, runs as a non-root user, serves bin/berth.js on port 8000 with /etc/placement", () => {
    expect(docker).toMatch(/RUN npm ci && npm run build/);
    expect(JSON.parse(read("package.json")).scripts.build).toBeDefined();
    expect(instructions.filter((l) => l.startsWith("FROM ")).every((l) => /node:20-[a-z]+-slim/.test(l))).toBe(true);
    expect(instructions.filter((l) => l.startsWith("USER ")).at(-1)).toBe("USER placement");
    const entry = JSON.parse(instructions.find((l) => l.startsWith("ENTRYPOINT "))!.slice("ENTRYPOINT ".length)) as string[];
    expect(entry).toEqual(["node", "/opt/berth/bin/berth.js"]);
    // bin/berth.js is what the image copies to /opt/berth/bin, next to the dist/ it imports.
    expect(docker).toContain("COPY --from=build /src/bin ./bin");
    expect(docker).toContain("COPY --from=build /src/dist ./dist");
    expect(read("bin/berth.js")).toContain('import "../dist/main.js"');
    const cmd = JSON.parse(instructions.find((l) => l.startsWith("CMD "))!.slice("CMD ".length)) as string[];
    knownCommand(cmd);
    expect(cmd.slice(cmd.indexOf("--config-file"), cmd.indexOf("--config-file") + 2)).toEqual(["--config-file", "/etc/placement/placement.conf"]);
    // A `docker run IMAGE db sync` without --config-file finds the mounted file too.
    expect(defaultConfigFiles(undefined)).toContain("/etc/placement/placement.conf");
    const port = cmd[cmd.indexOf("--port") + 1];
    expect(instructions).toContain(`EXPOSE ${port}`);
    expect(port).toBe("8000");
  });
});

describe("contrib/berth.service", () => {
  const unit = read("contrib/berth.service");
  const value = (key: string) =>
    unit
      .split("\n")
      .find((l) => l.startsWith(`${key}=`))
      ?.slice(key.length + 1);

  it("runs berth serve as placement with the reference's config on every address, restarted on failure", () => {
    expect(value("User")).toBe("placement");
    expect(value("Restart")).toBe("on-failure");
    const exec = value("ExecStart")!.split(" ");
    expect(exec[0]).toMatch(/\/berth$/);
    knownCommand(exec.slice(1));
    expect(exec.join(" ")).toContain("serve --config-file /etc/placement/placement.conf --host 0.0.0.0");
    expect(value("NoNewPrivileges")).toBe("yes");
    expect(value("ProtectSystem")).toBe("strict");
    // V8 needs writable, executable memory.
    expect(value("MemoryDenyWriteExecute")).toBeUndefined();
  });

  it.skipIf(!existsSync("/usr/bin/systemd-analyze"))("passes systemd-analyze verify", () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-unit-"));
    const file = join(dir, "berth.service");
    // NOTE: verify wants the executable to exist; the unit's own path is the install's.
    writeFileSync(file, unit.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath} ${bin}`));
    const r = spawnSync("/usr/bin/systemd-analyze", ["verify", file]);
    const complaints = r.stderr
      .toString()
      .split("\n")
      .filter((l) => l.includes("berth.service"));
    expect(complaints).toEqual([]);
  });
});

describe("docs/deploy.md", () => {
  const doc = read("docs/deploy.md");
  it("shows only berth commands and options that exist", () => {
    const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => at(m, 1));
    const commands = blocks
      .flatMap((b) => b.split("\n"))
      .filter((l) => l.startsWith("berth "))
      .map((l) => l.replace(/\s+#.*$/, "").replace(/\[([^\]]*)\]/g, "$1"));
    expect(commands.length).toBeGreaterThan(3);
    for (const c of commands)
      knownCommand(
        c
          .split(/\s+/)
          .slice(1)
          .filter((w) => !/^[A-Z]+$/.test(w)),
      );
  });
  it("covers the operator's path", () => {
    for (const s of [
      "/healthcheck",
      "--metrics-port",
      "--workers",
      "keystone.md",
      "berth status upgrade check",
      "berth db sync",
      "Rolling back",
      "max_connections",
    ])
      expect(doc).toContain(s);
  });
});
