export { ErrorReason } from "@stockroom/proto/stockroom/common/v1/error_pb.js";
export {
  AppError,
  type AppErrorOptions,
  ERROR_KINDS,
  type ErrorKind,
  type ErrorMetadata,
  type FieldViolation,
  isAppError,
  isRetryableError,
  type PackedDetail,
  type PreconditionViolation,
} from "./app-error.ts";
export { type CallLimits, remainingMs, stopReasonOf, throwIfStopped } from "./call-limits.ts";
export {
  aborted,
  alreadyExists,
  cancelled,
  deadlineExceeded,
  failedPrecondition,
  internal,
  invalidArgument,
  notFound,
  permissionDenied,
  resourceExhausted,
  unauthenticated,
  unavailable,
} from "./constructors.ts";
export { type CheckField, collectViolations, invalidArguments } from "./field-violations.ts";
