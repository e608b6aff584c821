// The logger of `berth serve`, from oslo.log's options in [DEFAULT]: debug, log_file, log_dir,
// use_stderr. use_syslog and use_journal are refused: each stops start-up with a message naming it.
import { isAbsolute, join } from "node:path";
import pino, { type DestinationStream, type Logger } from "pino";
import { ConfigError, type Config } from "./config.js";
import { first } from "@berth/client/common";

export interface Logging {
  readonly logger: Logger;
  /** Where the lines go, in words (for the start-up message). */
  readonly target: string;
  /** Opens the log file again (after logrotate moved it); nothing without a file. */
  reopen(): void;
}

/** The file name used with log_dir alone (oslo.log uses the program's name). */
export const DEFAULT_LOG_NAME = "berth.log";

/** oslo.log's rule: log_file alone; log_file under log_dir when both (unless absolute); log_dir/berth.log. */
export function logFilePath(logging: Config["logging"]): string | undefined {
  const { logFile, logDir } = logging;
  if (logFile && logDir) return isAbsolute(logFile) ? logFile : join(logDir, logFile);
  if (logFile) return logFile;
  if (logDir) return join(logDir, DEFAULT_LOG_NAME);
  return undefined;
}

/**
 * As oslo.log: to the log file when one is set, and to stderr when use_stderr is set; to stdout
 * when neither is. Lines are JSON (pino), each request's carrying requestId and globalRequestId.
 */
export function createLogging(config: Config): Logging {
  const l = config.logging;
  if (l.useSyslog)
    throw new ConfigError(
      "[DEFAULT] use_syslog = True is not supported by Berth: it logs JSON lines to stdout, to a file (log_file, log_dir) or to stderr (use_stderr); have the service manager or a log shipper forward them, and set use_syslog = False",
    );
  if (l.useJournal)
    throw new ConfigError(
      "[DEFAULT] use_journal = True is not supported by Berth: under systemd its stdout and stderr already go to the journal; set use_journal = False",
    );
  const level = config.debug ? "debug" : "info";
  const path = logFilePath(l);
  if (!path && !l.useStderr) return { logger: pino({ level }), target: "stdout", reopen() {} };
  const streams: { level: string; stream: DestinationStream }[] = [];
  let file: ReturnType<typeof pino.destination> | undefined;
  if (path) {
    try {
      // NOTE: synchronous writes, as pino's default stdout: a line is in the file before the next
      // statement runs, so nothing is lost when start-up stops with process.exit().
      file = pino.destination({ dest: path, sync: true, append: true });
    } catch (e) {
      const option = l.logFile ? (l.logDir && !isAbsolute(l.logFile) ? "[DEFAULT] log_dir and log_file" : "[DEFAULT] log_file") : "[DEFAULT] log_dir";
      throw new ConfigError(`Cannot open the log file ${path} (${option}): ${(e as Error).message}`);
    }
    streams.push({ level, stream: file });
  }
  if (l.useStderr) streams.push({ level, stream: pino.destination({ fd: 2, sync: true }) });
  const logger = streams.length === 1 ? pino({ level }, first(streams).stream) : pino({ level }, pino.multistream(streams));
  return {
    logger,
    target: [path, l.useStderr ? "stderr" : undefined].filter(Boolean).join(" and "),
    reopen: () => file?.reopen(),
  };
}
