// Runs `berth <argv>` in process (runCli) and captures what it prints and its exit code.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { runCli } from "@berth/cli";

export interface Run {
  code: number;
  out: string;
  err: string;
  json: any;
}

export interface RunOptions {
  env?: Record<string, string>;
  tty?: boolean;
  columns?: number;
  /** Where ./clouds.yaml is looked for, and $HOME (both default to an empty temporary directory). */
  cwd?: string;
  home?: string;
}

const empty = () => mkdtempSync(join(tmpdir(), "berth-cli-"));

export function runner(defaults: () => RunOptions) {
  return async (...argv: string[]): Promise<Run> => {
    const o = defaults();
    let out = "";
    let err = "";
    const stdout = Object.assign(new Writable({ write: (c, _e, cb) => ((out += c), cb()) }), { isTTY: o.tty ?? false, columns: o.columns });
    const stderr = new Writable({ write: (c, _e, cb) => ((err += c), cb()) });
    const code = await runCli(argv, { env: o.env ?? {}, stdout, stderr, cwd: o.cwd ?? empty(), home: o.home ?? empty() });
    let json: unknown;
    try {
      json = JSON.parse(out);
    } catch {
      json = undefined;
    }
    return { code, out, err, json };
  };
}
