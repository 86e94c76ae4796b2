// The one mapping from errors to gRPC statuses (server side) and back (client side).
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Metadata, status } from "@grpc/grpc-js";
import { ConnectionError, mapPgError } from "@stockroom/db";
import { type ErrorKind, ErrorReason, isAppError } from "@stockroom/errors";
import { type ErrorDetail, ErrorDetailSchema } from "@stockroom/proto/stockroom/common/v1/error_pb.js";

/** Trailing metadata key carrying a serialized stockroom.common.v1.ErrorDetail. */
export const ERROR_DETAIL_METADATA_KEY = "stockroom-error-bin";

const STATUS_BY_KIND: Record<ErrorKind, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  aborted: status.ABORTED,
  unavailable: status.UNAVAILABLE,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  unauthenticated: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  internal: status.INTERNAL,
};

export const INTERNAL_ERROR_MESSAGE = "internal error";
export const DATABASE_UNAVAILABLE_MESSAGE = "the database is unavailable; retry later";

export interface GrpcStatus {
  code: status;
  details: string;
  metadata: Metadata;
  /** True when the error is a server fault that must be logged with its stack. */
  serverFault: boolean;
}

// Anything that is not an AppError (or is an `internal` one) is a server fault: the client gets a
// generic message and the request id, never the original message or a stack trace.
export function toGrpcStatus(err: unknown, requestId?: string): GrpcStatus {
  if (isAppError(err) && err.kind !== "internal") {
    const details = describeAppError(err.kind, err.message, err.field);
    const detail = create(ErrorDetailSchema, {
      reason: err.reason,
      field: err.field ?? "",
      message: details,
      metadata: err.metadata ?? {},
    });
    return { code: STATUS_BY_KIND[err.kind], details, metadata: errorMetadata(detail), serverFault: false };
  }
  if (isDownstreamUnavailable(err)) {
    const details = "a dependency is unavailable";
    const detail = create(ErrorDetailSchema, {
      reason: ErrorReason.DEPENDENCY_UNAVAILABLE,
      message: details,
    });
    return { code: status.UNAVAILABLE, details, metadata: errorMetadata(detail), serverFault: false };
  }
  if (isDatabaseUnavailable(err)) {
    const details =
      requestId === undefined
        ? DATABASE_UNAVAILABLE_MESSAGE
        : `${DATABASE_UNAVAILABLE_MESSAGE} (request ${requestId})`;
    const detail = create(ErrorDetailSchema, {
      reason: ErrorReason.DEPENDENCY_UNAVAILABLE,
      message: details,
    });
    // UNAVAILABLE, so clients retry; still a fault of ours, logged with its cause (refused, pool
    // exhausted, terminated), which the client never sees.
    return { code: status.UNAVAILABLE, details, metadata: errorMetadata(detail), serverFault: true };
  }
  const details =
    requestId === undefined ? INTERNAL_ERROR_MESSAGE : `${INTERNAL_ERROR_MESSAGE} (request ${requestId})`;
  const detail = create(ErrorDetailSchema, { reason: ErrorReason.INTERNAL, message: details });
  return { code: status.INTERNAL, details, metadata: errorMetadata(detail), serverFault: true };
}

// A GrpcCallError from a call to another service that was unavailable or timed out, left uncaught by
// the handler: our caller may retry later, so say UNAVAILABLE rather than INTERNAL. Other downstream
// failures are our bug (we sent a bad request or mishandled the answer) and stay INTERNAL.
// Duck-typed because client.ts imports this module.
function isDownstreamUnavailable(err: unknown): boolean {
  if (!(err instanceof Error) || err.name !== "GrpcCallError") return false;
  const code = (err as { code?: unknown }).code;
  return code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED;
}

// The database could not be reached or dropped the connection: the pool's acquire timeout ("timeout
// exceeded when trying to connect"), a refused or terminated connection, too many connections. It comes
// as a ConnectionError from withTransaction, or raw from a query run outside one; the db package's one
// mapping of Postgres failures decides which is which.
function isDatabaseUnavailable(err: unknown): boolean {
  return mapPgError(err) instanceof ConnectionError;
}

function describeAppError(kind: ErrorKind, message: string, field: string | undefined): string {
  if (kind !== "invalid_argument" || field === undefined || field === "" || message.includes(field)) {
    return message;
  }
  return `${field}: ${message}`;
}

function errorMetadata(detail: ErrorDetail): Metadata {
  const metadata = new Metadata();
  metadata.set(ERROR_DETAIL_METADATA_KEY, Buffer.from(toBinary(ErrorDetailSchema, detail)));
  return metadata;
}

/** Decodes the ErrorDetail a Stockroom server put in trailing metadata, if any. */
export function errorDetailFrom(metadata: Metadata | undefined): ErrorDetail | undefined {
  const raw = metadata?.get(ERROR_DETAIL_METADATA_KEY)[0];
  if (!(raw instanceof Buffer)) return undefined;
  try {
    return fromBinary(ErrorDetailSchema, raw);
  } catch {
    // A malformed detail must not hide the status code itself; the caller still has code and message.
    return undefined;
  }
}
