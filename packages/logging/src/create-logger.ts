// The one way services build a logger: JSON lines, ISO time, string levels, request context, secrets redacted.
import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";
import { activeSpanIds } from "./active-span-ids.ts";
import { getLogContext } from "./log-context.ts";

export type { Logger } from "pino";

export type LogLevelName = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface CreateLoggerOptions {
  readonly service: string;
  /** The running release (the service package's version), on every line beside the service name. */
  readonly version?: string;
  readonly level?: LogLevelName;
  /** Extra fields on every line, e.g. { version }. */
  readonly base?: Record<string, string | number | boolean>;
  /** Where lines go; stdout by default. Tests pass a stream to read lines back. */
  readonly destination?: DestinationStream;
  /** More paths to redact, in pino's path syntax. */
  readonly redact?: readonly string[];
}

export const REDACTED = "[redacted]";

// Bearer tokens arrive as HTTP headers and gRPC metadata; tokens and secrets may sit in any logged object.
export const DEFAULT_REDACT_PATHS: readonly string[] = [
  "authorization",
  "Authorization",
  "*.authorization",
  "*.Authorization",
  "*.*.authorization",
  "*.*.Authorization",
  "cookie",
  "*.cookie",
  "*.*.cookie",
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "refreshToken",
  "*.refreshToken",
  "idToken",
  "*.idToken",
  "password",
  "*.password",
  "secret",
  "*.secret",
  "jwtSecret",
  "*.jwtSecret",
  "JWT_SECRET",
  "*.JWT_SECRET",
];

export function createLogger(options: CreateLoggerOptions): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? "info",
    base: {
      service: options.service,
      ...(options.version === undefined ? {} : { version: options.version }),
      ...options.base,
    },
    messageKey: "msg",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...DEFAULT_REDACT_PATHS, ...(options.redact ?? [])], censor: REDACTED },
    // Fields given at the call site come after the mixin's and so win over the request context.
    // The active span's ids (OpenTelemetry, when tracing is on) join the request context.
    mixin: () => {
      const ids = activeSpanIds();
      const fields = getLogContext();
      return ids ? { ...fields, ...ids } : (fields ?? {});
    },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}
