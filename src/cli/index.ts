// Registers the client subcommands (resource provider ..., trait ..., ...) on the berth program,
// and runs them in process for tests.
import { Command, CommanderError } from "commander";
import { describeError, type CliIo } from "./command.js";
import * as provider from "./provider.js";
import * as inventory from "./inventory.js";
import * as aggregate from "./aggregate.js";
import * as providerTrait from "./provider-trait.js";
import * as usage from "./usage.js";
import * as allocation from "./allocation.js";
import * as resourceClass from "./resource-class.js";
import * as trait from "./trait.js";
import * as allocationCandidate from "./allocation-candidate.js";

export type { CliIo } from "./command.js";

export function registerCli(program: Command, io: CliIo): void {
  const resource = program.command("resource").description("resource providers, classes and usages (Placement API client)");
  const rp = resource.command("provider").description("resource providers");
  provider.register(rp, io);
  inventory.register(rp, io);
  aggregate.register(rp, io);
  providerTrait.register(rp, io);
  usage.registerProvider(rp, io);
  allocation.register(rp, io);
  resourceClass.register(resource, io);
  usage.registerTotals(resource, io);
  trait.register(program, io);
  allocationCandidate.register(program, io);
}

/**
 * Runs `berth <argv>` client commands in process: output goes to io's streams; resolves to the
 * exit code (0 on success) instead of exiting.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command("berth")
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });
  registerCli(program, io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    const err = describeError(e);
    io.stderr.write(`berth: ${err.message}\n`);
    return err.exitCode;
  }
}
