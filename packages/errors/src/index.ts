export { ErrorReason } from "@stockroom/proto/stockroom/common/v1/error_pb.js";
export {
  AppError,
  type AppErrorOptions,
  ERROR_KINDS,
  type ErrorKind,
  type ErrorMetadata,
  isAppError,
  isRetryableError,
} from "./app-error.ts";
export {
  aborted,
  alreadyExists,
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
