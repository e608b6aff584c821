// For tests that run the compiled server as a child process (`berth serve`).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Waits until the server at `base` answers `GET /`; fails with its output if it exits or never does. */
export async function waitUp(base: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`berth serve exited: ${log()}`);
    try {
      if ((await fetch(`${base}/`)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`berth serve did not start: ${log()}`);
}

export interface SpawnedBerth {
  child: ChildProcess;
  base: string;
  /** The last 20,000 characters it printed (stdout and stderr). */
  log(): string;
}

/**
 * `berth serve` (the compiled bin/berth.js) with a placement.conf of `ini` (noauth2 is added), on a
 * free loopback port. Not waited for: `waitUp(s.base, s.child, s.log)` when it must be up.
 */
export async function spawnBerth(ini: string, env: Record<string, string> = {}): Promise<SpawnedBerth> {
  const conf = join(mkdtempSync(join(tmpdir(), "berth-serve-")), "placement.conf");
  writeFileSync(conf, `[api]\nauth_strategy = noauth2\n${ini}`);
  const port = await freePort();
  let out = "";
  const child = spawn(process.execPath, ["bin/berth.js", "serve", "--config-file", conf, "--host", "127.0.0.1", "--port", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  child.stdout!.on("data", (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on("data", (d) => (out = (out + d).slice(-20_000)));
  return { child, base: `http://127.0.0.1:${port}`, log: () => out };
}

/** One request with a 30 s deadline: a hang answers status 0, a connection failure -1 (never throws). */
export async function callWithDeadline(
  base: string,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  try {
    const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    return { status: r.status, text: await r.text() };
  } catch (e) {
    return { status: (e as Error).name === "TimeoutError" ? 0 : -1, text: String(e) };
  }
}

/** The body of a claim of one VCPU on `rp` for a new consumer (microversion 1.28 and later). */
export function oneVcpu(rp: string) {
  return { allocations: { [rp]: { resources: { VCPU: 1 } } }, project_id: "p", user_id: "u", consumer_generation: null };
}
