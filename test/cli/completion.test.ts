// `berth completion bash|zsh` run by the real shells, and the real `berth` program's exit codes.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { useTarget } from "../client/target.js";
import { runner } from "./run.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "berth-completion-"));
const zsh = ["/usr/bin/zsh", "/bin/zsh"].find(existsSync);
if (!zsh) console.warn("NOTE: zsh is not installed (apt-get install zsh); the zsh completion test is skipped");

/** The candidates the shell offers after `berth <words>` (the last word is the one being completed). */
async function complete(shell: "bash" | "zsh", ...words: string[]): Promise<string[]> {
  const script = join(dir, `berth.${shell}`);
  const quoted = ["berth", ...words].map((w) => `'${w}'`).join(" ");
  const driver =
    shell === "bash"
      ? `source ${script}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length}; _berth; printf '%s\\n' "\${COMPREPLY[@]}"`
      : // NOTE: compadd only works inside a completion widget; a stand-in prints what it is given.
        `compdef() { :; }; source ${script}; compadd() { [ "$1" = "--" ] && shift; print -l -- "$@"; }; words=(${quoted}); CURRENT=${words.length + 1}; _berth`;
  const { stdout } = await run(shell === "bash" ? "bash" : zsh!, ["-c", driver]);
  const prefix = words[words.length - 1] ?? "";
  // zsh's compadd filters by the prefix itself; the stand-in does not.
  return stdout
    .split("\n")
    .filter((w) => w !== "" && w.startsWith(prefix))
    .sort();
}

beforeAll(async () => {
  for (const shell of ["bash", "zsh"] as const) {
    const r = await runner(() => ({}))("completion", shell);
    expect(r.code).toBe(0);
    writeFileSync(join(dir, `berth.${shell}`), r.out);
  }
});

describe.each([["bash" as const], ["zsh" as const]])("%s completion", (shell) => {
  it.skipIf(shell === "zsh" && !zsh)("completes commands, options, option values, after global options too", async () => {
    expect(await complete(shell, "res")).toEqual(["resource"]);
    expect(await complete(shell, "resource", "provider", "inventory", "")).toEqual(["class", "delete", "list", "set", "show"]);
    expect(await complete(shell, "resource", "provider", "inventory", "class", "")).toEqual(["set"]);
    expect(await complete(shell, "--os-cloud", "prod", "resource", "c")).toEqual(["class"]);
    expect(await complete(shell, "resource", "provider", "list", "-f", "")).toEqual(["csv", "json", "table", "value", "yaml"]);
    expect(await complete(shell, "resource", "provider", "show", "X", "-f", "")).toEqual(["json", "shell", "table", "value", "yaml"]);
    expect(await complete(shell, "resource", "class", "list", "--sort-")).toEqual(["--sort-ascending", "--sort-column", "--sort-descending"]);
    expect(await complete(shell, "resource", "class", "list", "--os-plac")).toEqual(["--os-placement-api-version"]);
    expect(await complete(shell, "--os-inter")).toEqual(["--os-interface"]);
    expect(await complete(shell, "completion", "")).toEqual(["bash", "zsh"]);
  });
});

describe("the berth program", () => {
  const target = useTarget();
  const berth = (env: Record<string, string>, ...argv: string[]) =>
    run(process.execPath, ["bin/berth.js", ...argv], { env: { PATH: process.env.PATH, HOME: dir, ...env } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it("takes global options before the command and exits 0, 1 or 2 as the openstack CLI", async () => {
    const { url, token } = target();
    expect(await berth({}, "--os-endpoint", url, "--os-token", token, "resource", "class", "show", "VCPU", "-f", "value")).toMatchObject({
      code: 0,
      stdout: "VCPU\n",
    });
    expect(await berth({ OS_ENDPOINT: url, OS_TOKEN: token }, "resource", "class", "show", "CUSTOM_NONE")).toMatchObject({ code: 1 });
    const unconnected = await berth({}, "resource", "class", "list");
    expect(unconnected.code).toBe(1);
    expect(unconnected.stderr).toContain("berth: no connection");
    expect((await berth({}, "no-such-command")).code).toBe(2);
    expect((await berth({}, "resource", "class", "list", "--bogus")).code).toBe(2);
    expect((await berth({}, "--help")).code).toBe(0);
    // The program's completion knows the server commands too, without the client's global options.
    const script = (await berth({}, "completion", "bash")).stdout;
    writeFileSync(join(dir, "program.bash"), script);
    const { stdout } = await run("bash", [
      "-c",
      `source ${join(dir, "program.bash")}; COMP_WORDS=(berth serve --); COMP_CWORD=2; _berth; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ]);
    expect(stdout.split("\n").filter(Boolean).sort()).toEqual(["--config-file", "--help", "--host", "--metrics-host", "--metrics-port", "--port", "--workers"]);
  });
});
