// What the process exit code says happened (documented in the README's CLI section), and the one
// function that turns an error into it.
import { GrpcCallError, status } from "@stockroom/grpc";

export const EXIT = {
  ok: 0,
  /** The command ran, but part of its work failed: import rows refused, drift found. */
  partial: 1,
  /** Bad arguments, options, CSV header or config file; also INVALID_ARGUMENT from a service. */
  usage: 2,
  /** A service or Kafka could not be reached, or did not answer in time. */
  unavailable: 3,
  /** No token, a token the service refused, or a role that may not do this. */
  auth: 4,
  notFound: 5,
  /** The service refused the change as things stand: already exists, failed precondition, conflict. */
  refused: 6,
  /** Anything else: an internal error of the service or of this tool. */
  failed: 7,
  /** Stopped by Ctrl-C (SIGINT) after finishing cleanly; an import can be resumed. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error this tool reports as it is: the message is for the operator, the code for scripts. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}

const BY_STATUS = new Map<number, ExitCode>([
  [status.INVALID_ARGUMENT, EXIT.usage],
  [status.UNAVAILABLE, EXIT.unavailable],
  [status.DEADLINE_EXCEEDED, EXIT.unavailable],
  [status.UNAUTHENTICATED, EXIT.auth],
  [status.PERMISSION_DENIED, EXIT.auth],
  [status.NOT_FOUND, EXIT.notFound],
  [status.ALREADY_EXISTS, EXIT.refused],
  [status.FAILED_PRECONDITION, EXIT.refused],
  [status.ABORTED, EXIT.refused],
  [status.OUT_OF_RANGE, EXIT.refused],
  [status.RESOURCE_EXHAUSTED, EXIT.refused],
]);

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof GrpcCallError) return BY_STATUS.get(err.code) ?? EXIT.failed;
  if (isKafkaUnreachable(err)) return EXIT.unavailable;
  return EXIT.failed;
}

/** The line printed for an error: a service's status name and message, or the error's own message. */
export function describeFailure(err: unknown): string {
  if (err instanceof GrpcCallError) {
    const field = err.errorDetail?.field ? ` (field ${err.errorDetail.field})` : "";
    return `${status[err.code] ?? err.code}: ${err.details}${field}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

// kafkajs gives up on an unreachable broker with these (by name: its CommonJS classes are not named
// exports under ESM).
const KAFKA_UNREACHABLE = new Set([
  "KafkaJSConnectionError",
  "KafkaJSNumberOfRetriesExceeded",
  "KafkaJSRequestTimeoutError",
  "KafkaJSBrokerNotFound",
]);

function isKafkaUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (KAFKA_UNREACHABLE.has(e.name)) return true;
  }
  return false;
}
