// Registers the client subcommands (resource provider ..., trait ..., ...) and the openstack CLI's
// global options on the berth program, and runs them (in process for tests, from main.ts for real).
import { Argument, Command, CommanderError } from "commander";
import type { CliIo } from "./command.js";
import { describeError } from "./errors.js";
import { completionScript } from "./completion.js";
import { addGlobalOptions } from "./connection.js";
import * as provider from "./provider.js";
import * as inventory from "./inventory.js";
import * as aggregate from "./aggregate.js";
import * as providerTrait from "./provider-trait.js";
import * as usage from "./usage.js";
import * as allocation from "./allocation.js";
import * as resourceClass from "./resource-class.js";
import * as trait from "./trait.js";
import * as allocationCandidate from "./allocation-candidate.js";
import * as capabilities from "./capabilities.js";

export type { CliIo } from "./command.js";

export function registerCli(program: Command, io: CliIo): void {
  addGlobalOptions(program);
  program.configureHelp({ showGlobalOptions: true });
  const before = new Set(program.commands.map((c) => c.name()));
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
  capabilities.register(program, io);
  program
    .command("completion")
    .description("print a shell completion script: source <(berth completion bash)")
    .addArgument(new Argument("<shell>", "bash or zsh").choices(["bash", "zsh"]))
    .action((shell: "bash" | "zsh") => {
      const clientRoots = program.commands.map((c) => c.name()).filter((n) => !before.has(n) && n !== "completion");
      io.stdout.write(completionScript(program, shell, clientRoots));
    });
}

/** Commander's own refusals: help and --version succeed, everything else is a usage error (2). */
function exitCodeOf(e: CommanderError): number {
  return e.code === "commander.helpDisplayed" || e.code === "commander.version" ? 0 : 2;
}

/**
 * Runs `berth <argv>` client commands: output goes to io's streams; resolves to the exit code, as
 * the openstack CLI's: 0 success, 1 a failed command, 2 a usage error. `program` is main.ts's,
 * with the server commands on it; tests get a program of their own.
 */
export async function runCli(argv: readonly string[], io: CliIo, program: Command = new Command("berth")): Promise<number> {
  // NOTE: set before the commands are added: subcommands copy these settings when created.
  program.exitOverride().configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });
  registerCli(program, io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return exitCodeOf(e);
    const err = describeError(e);
    io.stderr.write(`berth: ${err.message}\n`);
    return err.exitCode;
  }
}
