// The CLI's two ways to fail, with the openstack CLI's exit codes: a usage error (bad arguments or
// options: 2) and a failed command (the server said no, no answer, a missing cloud: 1).
import { ConnectionError, MicroversionError, PlacementError } from "@berth/client";

/** Bad arguments or options: exit 2, as argparse's usage errors in the openstack CLI. */
export class UsageError extends Error {}

/** A failed command: the message to print ("berth: <message>") and the exit code. */
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
  if (e instanceof ConnectionError)
    return new CliError(e.reason === "tls" ? `${e.message}; give --os-cacert (cacert) to trust its CA, or --insecure` : e.message);
  if (e instanceof MicroversionError) return new CliError(e.message);
  return new CliError((e as Error)?.message ?? String(e));
}
