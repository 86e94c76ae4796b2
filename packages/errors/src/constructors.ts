// Named constructors, one per kind. Domain-specific kinds take the reason first because the reason is
// what callers branch on; kinds with an obvious generic reason default it.
import { ErrorReason } from "@stockroom/proto/stockroom/common/v1/error_pb.js";
import { AppError, type ErrorMetadata, type PreconditionViolation } from "./app-error.ts";

export function invalidArgument(
  field: string,
  message: string,
  reason: ErrorReason = ErrorReason.VALIDATION_FAILED,
  metadata?: ErrorMetadata,
): AppError {
  return new AppError("invalid_argument", message, { field, reason, metadata });
}

export function notFound(reason: ErrorReason, message: string, metadata?: ErrorMetadata): AppError {
  return new AppError("not_found", message, { reason, metadata });
}

export function alreadyExists(reason: ErrorReason, message: string, metadata?: ErrorMetadata): AppError {
  return new AppError("already_exists", message, { reason, metadata });
}

// preconditionViolations names each unmet precondition (google.rpc.PreconditionFailure); without it
// the gRPC mapping derives one from the reason and metadata.
export function failedPrecondition(
  reason: ErrorReason,
  message: string,
  metadata?: ErrorMetadata,
  preconditionViolations?: readonly PreconditionViolation[],
): AppError {
  return new AppError("failed_precondition", message, { reason, metadata, preconditionViolations });
}

export function resourceExhausted(reason: ErrorReason, message: string, metadata?: ErrorMetadata): AppError {
  return new AppError("resource_exhausted", message, { reason, metadata });
}

export function aborted(
  message: string,
  reason: ErrorReason = ErrorReason.CONCURRENT_MODIFICATION,
  metadata?: ErrorMetadata,
  cause?: unknown,
): AppError {
  return new AppError("aborted", message, { reason, metadata, cause });
}

export function unavailable(
  message: string,
  reason: ErrorReason = ErrorReason.DEPENDENCY_UNAVAILABLE,
  metadata?: ErrorMetadata,
  cause?: unknown,
): AppError {
  return new AppError("unavailable", message, { reason, metadata, cause });
}

export function deadlineExceeded(
  message: string,
  reason: ErrorReason = ErrorReason.DEADLINE_EXCEEDED,
): AppError {
  return new AppError("deadline_exceeded", message, { reason });
}

// The caller went away (cancelled its call) before the work was done; no reason in the enum fits better.
export function cancelled(message: string, reason: ErrorReason = ErrorReason.UNSPECIFIED): AppError {
  return new AppError("cancelled", message, { reason });
}

export function unauthenticated(
  message: string,
  reason: ErrorReason = ErrorReason.UNAUTHENTICATED,
  cause?: unknown,
): AppError {
  return new AppError("unauthenticated", message, { reason, cause });
}

export function permissionDenied(
  message: string,
  reason: ErrorReason = ErrorReason.PERMISSION_DENIED,
): AppError {
  return new AppError("permission_denied", message, { reason });
}

// For bugs and broken invariants; the message stays server-side (the gRPC mapper sends a generic one).
export function internal(
  message: string,
  cause?: unknown,
  reason: ErrorReason = ErrorReason.INTERNAL,
): AppError {
  return new AppError("internal", message, { reason, cause });
}
