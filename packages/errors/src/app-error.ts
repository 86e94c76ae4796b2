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
  "cancelled",
  "unauthenticated",
  "permission_denied",
  "resource_exhausted",
  "internal",
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export type ErrorMetadata = Record<string, string>;

/** One wrong request field: its proto path (e.g. `lines[2].quantity`) and what is wrong with it. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** One unmet precondition, as google.rpc.PreconditionFailure.Violation carries it. */
export interface PreconditionViolation {
  /** What kind of precondition, e.g. "INSUFFICIENT_STOCK". */
  type: string;
  /** What it concerns, e.g. "sku/A-1". */
  subject: string;
  description: string;
}

/** A protobuf message packed as google.protobuf.Any (anyPack), for stockroom.common.v1.ErrorDetail.details. */
export interface PackedDetail {
  typeUrl: string;
  value: Uint8Array;
}

export interface AppErrorOptions {
  reason?: ErrorReason;
  field?: string;
  metadata?: ErrorMetadata;
  cause?: unknown;
  /** Every wrong field of an invalid_argument error; defaults to the one `field` names. */
  violations?: readonly FieldViolation[];
  /** The unmet preconditions of a failed_precondition error, when it can name them one by one. */
  preconditionViolations?: readonly PreconditionViolation[];
  /** Typed details for clients to unpack (e.g. the order service's CheckoutShortfall). */
  details?: readonly PackedDetail[];
}

export class AppError extends Error {
  override readonly name = "AppError";
  readonly kind: ErrorKind;
  readonly reason: ErrorReason;
  readonly field: string | undefined;
  readonly metadata: ErrorMetadata | undefined;
  readonly violations: readonly FieldViolation[];
  readonly preconditionViolations: readonly PreconditionViolation[];
  readonly details: readonly PackedDetail[];

  constructor(kind: ErrorKind, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.reason = options.reason ?? ErrorReason.UNSPECIFIED;
    this.field = options.field;
    this.metadata = options.metadata;
    this.violations =
      options.violations ??
      (options.field === undefined || options.field === ""
        ? []
        : [{ field: options.field, description: message }]);
    this.preconditionViolations = options.preconditionViolations ?? [];
    this.details = options.details ?? [];
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
