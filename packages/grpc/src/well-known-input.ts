// The one check of google.protobuf.Timestamp and Duration inputs against the ranges the protobuf
// spec gives them (years 0001-9999; ±10,000 years), for every service's request decoders. Outside
// them a value means nothing other languages can represent, and JavaScript dates lose it.
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "@stockroom/errors";

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
export const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;
export const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;
export const MAX_DURATION_SECONDS = 315_576_000_000n;
const MAX_NANOS = 999_999_999;

/** A Timestamp as a Date, or INVALID_ARGUMENT naming the field when it is outside years 1-9999. */
export function timestampInput(value: Timestamp, field: string): Date {
  if (value.seconds < MIN_TIMESTAMP_SECONDS || value.seconds > MAX_TIMESTAMP_SECONDS) {
    throw invalidArgument(field, `${field} must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z`);
  }
  if (!Number.isInteger(value.nanos) || value.nanos < 0 || value.nanos > MAX_NANOS) {
    throw invalidArgument(field, `${field}.nanos must be between 0 and ${MAX_NANOS}`);
  }
  return new Date(Number(value.seconds) * 1000 + Math.floor(value.nanos / 1_000_000));
}

/** A Duration in milliseconds, or INVALID_ARGUMENT naming the field when it is out of range. */
export function durationInput(value: Duration, field: string): number {
  if (value.seconds < -MAX_DURATION_SECONDS || value.seconds > MAX_DURATION_SECONDS) {
    throw invalidArgument(field, `${field} must be within ±${MAX_DURATION_SECONDS} seconds`);
  }
  const { nanos } = value;
  const signsAgree = value.seconds === 0n || nanos === 0 || value.seconds > 0n === nanos > 0;
  if (!Number.isInteger(nanos) || nanos < -MAX_NANOS || nanos > MAX_NANOS || !signsAgree) {
    throw invalidArgument(field, `${field}.nanos must be within ±${MAX_NANOS} and share the sign of seconds`);
  }
  return Number(value.seconds) * 1000 + Math.trunc(nanos / 1_000_000);
}
