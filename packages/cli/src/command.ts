// Shared plumbing of the client commands: the leaf command wrapper and option parsing helpers.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import type { Command } from "commander";
import type { PlacementClient } from "@berth/client";
import type { Files } from "./clouds.js";
import { clientFor, resolveConnection, type GlobalOptions } from "./connection.js";
import { describeError, UsageError } from "./errors.js";
import { addListOptions, addOneOptions, addRawOptions, type Out, type OutputOptions } from "./output.js";
import { at } from "@berth/client/common";

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  /** Where ./clouds.yaml is looked for (default: the process's directory). */
  cwd?: string;
  /** Whose ~/.config/openstack is read (default: $HOME, else the user's home). */
  home?: string;
}

export interface Ctx {
  client: PlacementClient;
  out: Out;
  io: CliIo;
}

/** What a command prints, which decides its output options: cliff's Lister, ShowOne, a drawing, or nothing. */
export type Kind = "list" | "one" | "raw" | "none";

type Handler<O> = (ctx: Ctx, args: string[], opts: O & OutputOptions) => Promise<void>;

/** The disk and directories clouds.yaml is found with. */
export function filesOf(io: CliIo): Files {
  return {
    env: io.env,
    home: io.home ?? (io.env.HOME || homedir()),
    cwd: io.cwd ?? process.cwd(),
    exists: existsSync,
    read: (p) => readFileSync(p, "utf8"),
  };
}

/** Adds a leaf command with the output options of its kind; `configure` adds its own. */
export function leaf<O = Record<string, unknown>>(
  kind: Kind,
  parent: Command,
  spec: string,
  description: string,
  io: CliIo,
  handler: Handler<O>,
  configure: (c: Command) => unknown = () => {},
): Command {
  const cmd = parent.command(spec).description(description);
  configure(cmd);
  if (kind === "list") addListOptions(cmd);
  else if (kind === "one") addOneOptions(cmd);
  else if (kind === "raw") addRawOptions(cmd);
  cmd.action(async (...a: unknown[]) => {
    const self = a[a.length - 1] as Command;
    const opts = self.optsWithGlobals<O & OutputOptions & GlobalOptions>();
    try {
      const out: Out = {
        write: (s) => void io.stdout.write(s),
        warn: (s) => void io.stderr.write(`berth: ${s}\n`),
        opts,
        env: io.env,
        columns: io.stdout.isTTY ? (io.stdout.columns ?? 80) : undefined,
      };
      const client = clientFor(resolveConnection(opts, filesOf(io)));
      await handler({ client, out, io }, self.args, opts);
    } catch (e) {
      throw describeError(e);
    }
  });
  return cmd;
}

/** Collects a repeated option into an array. */
export const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** "VCPU=2" -> ["VCPU", 2] */
export function keyInt(s: string, what: string): [string, number] {
  const m = /^([^=]+)=(-?\d+)$/.exec(s);
  if (!m) throw new UsageError(`${what} must look like CLASS=AMOUNT, got ${JSON.stringify(s)}`);
  return [at(m, 1), Number(m[2])];
}

export function int(s: string | undefined, what: string): number | undefined {
  if (s === undefined) return undefined;
  if (!/^-?\d+$/.test(s)) throw new UsageError(`${what} must be an integer, got ${JSON.stringify(s)}`);
  return Number(s);
}
