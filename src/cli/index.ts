// Registers the client subcommands (resource provider ..., trait ..., ...) on the berth program.
import type { Command } from "commander";

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function registerCli(_program: Command, _io: CliIo): void {
  // The SDK-based commands are added here.
}
