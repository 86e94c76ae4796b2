// Validation that reports every wrong field of a request, not only the first: validators throw
// invalidArgument as before, and collectViolations runs them all and throws one error listing each.
import { ErrorReason } from "@stockroom/proto/stockroom/common/v1/error_pb.js";
import { AppError, type FieldViolation, isAppError } from "./app-error.ts";

/** An invalid_argument error naming several fields; its message joins their descriptions. */
export function invalidArguments(violations: readonly FieldViolation[]): AppError {
  const first = violations[0];
  if (first === undefined) throw new Error("invalidArguments needs at least one violation");
  const message = violations.map((v) => describe(v)).join("; ");
  return new AppError("invalid_argument", violations.length === 1 ? first.description : message, {
    field: first.field,
    reason: ErrorReason.VALIDATION_FAILED,
    violations,
  });
}

/**
 * Runs one validator inside collectViolations: its value, or, when it throws invalidArgument, a
 * placeholder that never escapes (collectViolations throws before returning anything built from it).
 */
export type CheckField = <T>(validate: () => T) => T;

/**
 * Builds a decoded request with `check` around each validator and throws one invalid_argument error
 * listing every violation, if there was any. Code inside `build` must read the raw request, never a
 * value `check` returned, for anything but the result: a failed check returns undefined.
 */
export function collectViolations<R>(build: (check: CheckField) => R): R {
  const violations: FieldViolation[] = [];
  const check: CheckField = <T>(validate: () => T): T => {
    try {
      return validate();
    } catch (err) {
      if (!isInvalidArgument(err)) throw err;
      violations.push(...violationsOf(err));
      return undefined as T;
    }
  };
  let result: R;
  try {
    result = build(check);
  } catch (err) {
    // A validator called outside check still counts, after the ones collected before it.
    if (!isInvalidArgument(err)) throw err;
    violations.push(...violationsOf(err));
    throw invalidArguments(violations);
  }
  if (violations.length > 0) throw invalidArguments(violations);
  return result;
}

function isInvalidArgument(err: unknown): err is AppError {
  return isAppError(err) && err.kind === "invalid_argument";
}

function violationsOf(err: AppError): readonly FieldViolation[] {
  return err.violations.length > 0 ? err.violations : [{ field: err.field ?? "", description: err.message }];
}

function describe(violation: FieldViolation): string {
  const { field, description } = violation;
  return field === "" || description.includes(field) ? description : `${field}: ${description}`;
}
