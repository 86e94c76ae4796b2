// The one mapping from errors to gRPC statuses (server side) and back (client side). Every error
// carries a google.rpc.Status in grpc-status-details-bin (ErrorInfo always, BadRequest listing every
// wrong field, PreconditionFailure for unmet preconditions, RequestInfo with the request id), which
// grpcurl, `buf curl` and any language's gRPC library decode, and our own ErrorDetail beside it.
import { create, createRegistry, fromBinary, type Registry, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema, anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { Metadata, status } from "@grpc/grpc-js";
import { ConnectionError, mapPgError } from "@stockroom/db";
import { type AppError, type ErrorKind, ErrorReason, isAppError } from "@stockroom/errors";
import {
  type BadRequest,
  BadRequestSchema,
  type ErrorInfo,
  ErrorInfoSchema,
  type PreconditionFailure,
  PreconditionFailureSchema,
  type RequestInfo,
  RequestInfoSchema,
} from "@stockroom/proto/google/rpc/error_details_pb.js";
import { type Status, StatusSchema } from "@stockroom/proto/google/rpc/status_pb.js";
import {
  type ErrorDetail,
  ErrorDetailSchema,
  ErrorReasonSchema,
} from "@stockroom/proto/stockroom/common/v1/error_pb.js";

/** Trailing metadata key carrying a serialized stockroom.common.v1.ErrorDetail. */
export const ERROR_DETAIL_METADATA_KEY = "stockroom-error-bin";
/** The standard trailer carrying a serialized google.rpc.Status with its details. */
export const STATUS_DETAILS_METADATA_KEY = "grpc-status-details-bin";
/** google.rpc.ErrorInfo.domain of every Stockroom error: its reasons come from one enum. */
export const ERROR_DOMAIN = "stockroom";

const STATUS_BY_KIND: Record<ErrorKind, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  aborted: status.ABORTED,
  unavailable: status.UNAVAILABLE,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  cancelled: status.CANCELLED,
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
    const code = STATUS_BY_KIND[err.kind];
    return {
      code,
      details,
      metadata: errorMetadata(code, details, err.reason, err.field ?? "", err.metadata ?? {}, requestId, err),
      serverFault: false,
    };
  }
  if (isDownstreamUnavailable(err)) {
    const details = "a dependency is unavailable";
    const metadata = errorMetadata(
      status.UNAVAILABLE,
      details,
      ErrorReason.DEPENDENCY_UNAVAILABLE,
      "",
      {},
      requestId,
    );
    return { code: status.UNAVAILABLE, details, metadata, serverFault: false };
  }
  if (isDatabaseUnavailable(err)) {
    const details =
      requestId === undefined
        ? DATABASE_UNAVAILABLE_MESSAGE
        : `${DATABASE_UNAVAILABLE_MESSAGE} (request ${requestId})`;
    const metadata = errorMetadata(
      status.UNAVAILABLE,
      details,
      ErrorReason.DEPENDENCY_UNAVAILABLE,
      "",
      {},
      requestId,
    );
    // UNAVAILABLE, so clients retry; still a fault of ours, logged with its cause (refused, pool
    // exhausted, terminated), which the client never sees.
    return { code: status.UNAVAILABLE, details, metadata, serverFault: true };
  }
  const details =
    requestId === undefined ? INTERNAL_ERROR_MESSAGE : `${INTERNAL_ERROR_MESSAGE} (request ${requestId})`;
  const metadata = errorMetadata(status.INTERNAL, details, ErrorReason.INTERNAL, "", {}, requestId);
  return { code: status.INTERNAL, details, metadata, serverFault: true };
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

function errorMetadata(
  code: status,
  message: string,
  reason: ErrorReason,
  field: string,
  facts: Record<string, string>,
  requestId: string | undefined,
  err?: AppError,
): Metadata {
  const metadata = new Metadata();
  const detail = create(ErrorDetailSchema, {
    reason,
    field,
    message,
    metadata: facts,
    details: (err?.details ?? []).map((d) => create(AnySchema, { typeUrl: d.typeUrl, value: d.value })),
  });
  metadata.set(ERROR_DETAIL_METADATA_KEY, Buffer.from(toBinary(ErrorDetailSchema, detail)));
  const details: Any[] = [
    anyPack(
      ErrorInfoSchema,
      create(ErrorInfoSchema, { reason: reasonName(reason), domain: ERROR_DOMAIN, metadata: facts }),
    ),
  ];
  if (err !== undefined && err.kind === "invalid_argument") {
    const violations = err.violations.length > 0 ? err.violations : [{ field, description: message }];
    details.push(
      anyPack(
        BadRequestSchema,
        create(BadRequestSchema, {
          fieldViolations: violations.map((v) => ({
            field: v.field,
            description: v.description,
            reason: reasonName(ErrorReason.VALIDATION_FAILED),
          })),
        }),
      ),
    );
  }
  if (err !== undefined && err.kind === "failed_precondition") {
    const violations =
      err.preconditionViolations.length > 0
        ? err.preconditionViolations
        : [{ type: reasonName(reason), subject: subjectOf(facts), description: message }];
    details.push(
      anyPack(PreconditionFailureSchema, create(PreconditionFailureSchema, { violations: [...violations] })),
    );
  }
  if (requestId !== undefined) {
    details.push(anyPack(RequestInfoSchema, create(RequestInfoSchema, { requestId })));
  }
  const rpcStatus = create(StatusSchema, { code, message, details });
  metadata.set(STATUS_DETAILS_METADATA_KEY, Buffer.from(toBinary(StatusSchema, rpcStatus)));
  return metadata;
}

const REASON_PREFIX = "ERROR_REASON_";

/** The reason as ErrorInfo spells it: the enum value's name without its prefix, e.g. INSUFFICIENT_STOCK. */
export function reasonName(reason: ErrorReason): string {
  const name = ErrorReasonSchema.value[reason]?.name ?? `${REASON_PREFIX}UNSPECIFIED`;
  return name.startsWith(REASON_PREFIX) ? name.slice(REASON_PREFIX.length) : name;
}

// What an unmet precondition concerns, from the error's facts: "sku/A-1/warehouse_code/W1".
function subjectOf(facts: Record<string, string>): string {
  return Object.entries(facts)
    .filter(([key]) => key !== "field")
    .map(([key, value]) => `${key}/${value}`)
    .join("/");
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

/** The standard details a server sent: google.rpc.Status and its ErrorInfo, BadRequest, etc. */
export interface StatusDetails {
  status: Status;
  errorInfo: ErrorInfo | undefined;
  badRequest: BadRequest | undefined;
  preconditionFailure: PreconditionFailure | undefined;
  requestInfo: RequestInfo | undefined;
}

const DETAIL_REGISTRY: Registry = createRegistry(
  ErrorInfoSchema,
  BadRequestSchema,
  PreconditionFailureSchema,
  RequestInfoSchema,
);

/** Decodes grpc-status-details-bin, if the server sent it. */
export function statusDetailsFrom(metadata: Metadata | undefined): StatusDetails | undefined {
  const raw = metadata?.get(STATUS_DETAILS_METADATA_KEY)[0];
  if (!(raw instanceof Buffer)) return undefined;
  let decoded: Status;
  try {
    decoded = fromBinary(StatusSchema, raw);
  } catch {
    return undefined;
  }
  const result: StatusDetails = {
    status: decoded,
    errorInfo: undefined,
    badRequest: undefined,
    preconditionFailure: undefined,
    requestInfo: undefined,
  };
  for (const any of decoded.details) {
    const message = anyUnpack(any, DETAIL_REGISTRY);
    if (message === undefined) continue;
    switch (message.$typeName) {
      case "google.rpc.ErrorInfo":
        result.errorInfo = message as ErrorInfo;
        break;
      case "google.rpc.BadRequest":
        result.badRequest = message as BadRequest;
        break;
      case "google.rpc.PreconditionFailure":
        result.preconditionFailure = message as PreconditionFailure;
        break;
      case "google.rpc.RequestInfo":
        result.requestInfo = message as RequestInfo;
        break;
    }
  }
  return result;
}
