// Shared plumbing of the client commands: option parsing helpers and the action wrapper.
import type { Command } from "commander";
import { ConnectionError, MicroversionError, PlacementError, type PlacementClient } from "../client/index.js";
import { clientFrom, formatOf, UsageError, withCommon, type CommonOptions } from "./connection.js";
import type { Out } from "./output.js";

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

export interface Ctx {
  client: PlacementClient;
  out: Out;
  io: CliIo;
}

/** A failed command: the message to print and the exit code. main.ts prints it as "berth: <message>". */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function describeError(e: unknown): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof PlacementError) return new CliError(e.describe());
  if (e instanceof UsageError) return new CliError(e.message, 2);
  if (e instanceof MicroversionError || e instanceof ConnectionError) return new CliError(e.message);
  return new CliError((e as Error)?.message ?? String(e));
}

type Handler<O> = (ctx: Ctx, args: string[], opts: O & CommonOptions) => Promise<void>;

/** Adds a leaf command with the common options; `configure` adds its own. */
export function leaf<O = Record<string, unknown>>(
  parent: Command,
  spec: string,
  description: string,
  io: CliIo,
  handler: Handler<O>,
  configure: (c: Command) => unknown = () => {},
): Command {
  const cmd = parent.command(spec).description(description);
  configure(cmd);
  withCommon(cmd);
  cmd.action(async (...a: unknown[]) => {
    const self = a[a.length - 1] as Command;
    const opts = self.opts<O & CommonOptions>();
    try {
      const out: Out = { write: (s) => void io.stdout.write(s), format: formatOf(opts, Boolean(io.stdout.isTTY)) };
      await handler({ client: clientFrom(opts, io.env), out, io }, self.args, opts);
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
  return [m[1]!, Number(m[2])];
}

export function int(s: string | undefined, what: string): number | undefined {
  if (s === undefined) return undefined;
  if (!/^-?\d+$/.test(s)) throw new UsageError(`${what} must be an integer, got ${JSON.stringify(s)}`);
  return Number(s);
}
