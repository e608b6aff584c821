// The README's SDK and CLI examples run as written, against an in-process Berth.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "@berth/testing";
import { runCli } from "@berth/cli";
import { at } from "@berth/client/common";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
function example(name: string): string {
  const m = new RegExp(`<!-- example: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!m) throw new Error(`README has no example ${name}`);
  return at(m, 1);
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

it("runs the SDK and scheduler example", async () => {
  // NOTE: its `import ... from "@berth/client"` stays as written: the workspace link resolves it
  // (to the package's sources, vitest.config.ts).
  expect(example("sdk")).toContain('from "@berth/client"');
  const code = example("sdk")
    .replace("http://localhost:8000", server.url)
    .replace(/console\.log\(/g, "globalThis.__readmeLog(");
  const logs: unknown[] = [];
  (globalThis as any).__readmeLog = (...a: unknown[]) => logs.push(a);
  const dir = new URL("./.readme-tmp/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL("sdk-example.ts", dir);
  writeFileSync(file, code);
  try {
    await import(file.pathname);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(logs).toHaveLength(1);
  const hosts = (logs[0] as unknown[][])[0] as string[];
  expect(hosts).toHaveLength(2);
  expect(new Set(hosts).size).toBe(1);
});

it("runs the CLI example", async () => {
  const lines = example("cli").trim().split("\n");
  const env: Record<string, string> = {};
  for (const line of lines) {
    if (line.startsWith("export ")) {
      for (const kv of line.slice(7).split(" ")) {
        const [k, v] = kv.split("=");
        env[k!] = v!;
      }
      continue;
    }
    env.OS_ENDPOINT = server.url;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    let err = "";
    stdout.on("data", (d) => (out += d));
    stderr.on("data", (d) => (err += d));
    const argv = line.replace(/^berth /, "").split(" ");
    const code = await runCli(argv, { env, stdout, stderr });
    expect({ line, code, err }).toEqual({ line, code: 0, err: "" });
    expect(out.length).toBeGreaterThan(0);
  }
});
