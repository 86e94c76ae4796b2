export {
  type CreateLoggerOptions,
  createLogger,
  DEFAULT_REDACT_PATHS,
  type Logger,
  type LogLevelName,
  REDACTED,
} from "./create-logger.ts";
export { getLogContext, type LogContext, runWithLogContext } from "./log-context.ts";
