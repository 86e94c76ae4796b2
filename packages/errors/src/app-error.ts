// The one error type every layer throws. It carries a kind (what class of failure, which the gRPC
// package maps to a status code) and a reason from the proto ErrorReason enum (why, for clients to
// branch on). Nothing here knows about gRPC.
import { ErrorReason } from "@stockroom/proto/stockroom/common/v1/error_pb.js";

export const ERROR_KINDS = [
  "invalid_argument",
  "not_found",
  "already_exists",
  "failed_precondition",
  "aborted",
  "unavailable",
  "deadline_exceeded",
  "unauthenticated",
  "permission_denied",
  "resource_exhausted",
  "internal",
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export type ErrorMetadata = Record<string, string>;

export interface AppErrorOptions {
  reason?: ErrorReason;
  field?: string;
  metadata?: ErrorMetadata;
  cause?: unknown;
}

export class AppError extends Error {
  override readonly name = "AppError";
  readonly kind: ErrorKind;
  readonly reason: ErrorReason;
  readonly field: string | undefined;
  readonly metadata: ErrorMetadata | undefined;

  constructor(kind: ErrorKind, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.reason = options.reason ?? ErrorReason.UNSPECIFIED;
    this.field = options.field;
    this.metadata = options.metadata;
  }
}

const KIND_SET: ReadonlySet<string> = new Set(ERROR_KINDS);

// Duck-typed as well as instanceof, so an AppError still counts when two copies of this module are
// loaded (e.g. a test runner isolating modules).
export function isAppError(err: unknown): err is AppError {
  if (err instanceof AppError) return true;
  if (!(err instanceof Error) || err.name !== "AppError") return false;
  const kind = (err as { kind?: unknown }).kind;
  return typeof kind === "string" && KIND_SET.has(kind);
}

// Aborted (a concurrency conflict: serialization failure, deadlock, optimistic-lock loss) and
// unavailable are the only kinds that are safe to retry as they are.
export function isRetryableError(err: unknown): boolean {
  return isAppError(err) && (err.kind === "aborted" || err.kind === "unavailable");
}
