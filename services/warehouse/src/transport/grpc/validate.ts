// Input validators for the warehouse gRPC transports. Each checks one proto field, returns the decoded
// value and throws invalidArgument with the field path (e.g. `lines[2].quantity`) so clients see which
// input was wrong. The same patterns back the database CHECKs; these give a precise message first.
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { collectViolations, invalidArgument } from "@stockroom/errors";
import { durationInput, timestampInput } from "@stockroom/grpc";
import { PaymentMethod as ProtoPaymentMethod } from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import type { PaymentMethod, ReservationTtlPolicy } from "../../domain/reservation-ttl.ts";

export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const WAREHOUSE_CODE_PATTERN = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;
export const LOT_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// The bins.code CHECK, as CreateBin validates it.
export const BIN_CODE_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,31}$/;
export const REFERENCE_TYPE_PATTERN = /^[a-z][a-z_]{0,31}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export const MAX_QUANTITY = 1_000_000;
export const MAX_LINES = 100;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
export const MAX_REFERENCE_ID_LENGTH = 128;
export const MAX_REASON_LENGTH = 500;
// The ledger's actor column CHECK.
export const MAX_ACTOR_LENGTH = 200;

export function sku(value: string, field = "sku"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (!SKU_PATTERN.test(value)) {
    throw invalidArgument(field, `${field} must match ${SKU_PATTERN.source}`);
  }
  return value;
}

export function warehouseCode(value: string, field = "warehouse_code"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (!WAREHOUSE_CODE_PATTERN.test(value)) {
    throw invalidArgument(field, `${field} must match ${WAREHOUSE_CODE_PATTERN.source}`);
  }
  return value;
}

// Empty means "not named" (e.g. let the service allocate across warehouses).
export function optionalWarehouseCode(value: string, field = "warehouse_code"): string | undefined {
  return value === "" ? undefined : warehouseCode(value, field);
}

export function quantity(value: number, field = "quantity"): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw invalidArgument(field, `${field} must be a positive integer, got ${value}`);
  }
  if (value > MAX_QUANTITY) {
    throw invalidArgument(field, `${field} must be at most ${MAX_QUANTITY}, got ${value}`);
  }
  return value;
}

export function idempotencyKey(value: string, field = "idempotency_key"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (value.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw invalidArgument(field, `${field} must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  return value;
}

export function reservationId(value: string, field = "reservation_id"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (!UUID_PATTERN.test(value)) throw invalidArgument(field, `${field} must be a UUID`);
  return value.toLowerCase();
}

export function uuid(value: string, field: string): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (!UUID_PATTERN.test(value)) throw invalidArgument(field, `${field} must be a UUID`);
  return value.toLowerCase();
}

export type ReferenceInput = { type: string; id: string };

export function reference(value: ReferenceInput | undefined, field = "reference"): ReferenceInput {
  if (value === undefined) throw invalidArgument(field, `${field} is required`);
  return collectViolations((check) => {
    check(() => {
      if (!REFERENCE_TYPE_PATTERN.test(value.type)) {
        throw invalidArgument(`${field}.type`, `${field}.type must match ${REFERENCE_TYPE_PATTERN.source}`);
      }
    });
    check(() => {
      if (value.id === "" || value.id.length > MAX_REFERENCE_ID_LENGTH) {
        throw invalidArgument(`${field}.id`, `${field}.id must be 1..${MAX_REFERENCE_ID_LENGTH} characters`);
      }
    });
    return { type: value.type, id: value.id };
  });
}

export function optionalReference(
  value: ReferenceInput | undefined,
  field = "reference",
): ReferenceInput | undefined {
  if (value === undefined || (value.type === "" && value.id === "")) return undefined;
  return reference(value, field);
}

export function optionalTimestamp(value: Timestamp | undefined, field: string): Date | undefined {
  return value === undefined ? undefined : timestampInput(value, field);
}

// Duration → milliseconds; absent means "use the payment method's default".
export function ttl(
  value: Duration | undefined,
  policy: Pick<ReservationTtlPolicy, "minMs" | "maxMs">,
  field = "ttl",
): number | undefined {
  if (value === undefined) return undefined;
  const ms = durationInput(value, field);
  if (!Number.isFinite(ms) || ms < policy.minMs || ms > policy.maxMs) {
    throw invalidArgument(
      field,
      `${field} must be between ${policy.minMs} ms and ${policy.maxMs} ms, got ${ms} ms`,
    );
  }
  return ms;
}

const PAYMENT_METHOD_BY_PROTO: ReadonlyMap<number, PaymentMethod> = new Map([
  // UNSPECIFIED keeps the documented default (card) so older clients need not send it.
  [ProtoPaymentMethod.UNSPECIFIED, "card"],
  [ProtoPaymentMethod.CARD, "card"],
  [ProtoPaymentMethod.E_WALLET, "e_wallet"],
  [ProtoPaymentMethod.BANK_TRANSFER, "bank_transfer"],
  [ProtoPaymentMethod.CASH_ON_DELIVERY, "cash_on_delivery"],
]);

export function paymentMethod(value: number, field = "payment_method"): PaymentMethod {
  const method = PAYMENT_METHOD_BY_PROTO.get(value);
  if (method === undefined) throw invalidArgument(field, `${field} ${value} is not a known payment method`);
  return method;
}

// Generic enum check for proto enums with an UNSPECIFIED zero that must not be sent.
export function specifiedEnum<T extends number>(value: T, known: readonly T[], field: string): T {
  if (!known.includes(value)) throw invalidArgument(field, `${field} ${value} is not a known value`);
  return value;
}

export function lineCount<T>(lines: readonly T[], field = "lines", max = MAX_LINES): readonly T[] {
  if (lines.length === 0) throw invalidArgument(field, `${field} must hold at least one line`);
  if (lines.length > max) throw invalidArgument(field, `${field} must hold at most ${max} lines`);
  return lines;
}

export type CoordinatesInput = { latitude: number; longitude: number };

export function coordinates(
  value: CoordinatesInput | undefined,
  field = "destination",
): CoordinatesInput | undefined {
  if (value === undefined) return undefined;
  return collectViolations((check) => {
    check(() => {
      if (!Number.isFinite(value.latitude) || value.latitude < -90 || value.latitude > 90) {
        throw invalidArgument(`${field}.latitude`, `${field}.latitude must be between -90 and 90`);
      }
    });
    check(() => {
      if (!Number.isFinite(value.longitude) || value.longitude < -180 || value.longitude > 180) {
        throw invalidArgument(`${field}.longitude`, `${field}.longitude must be between -180 and 180`);
      }
    });
    return { latitude: value.latitude, longitude: value.longitude };
  });
}

export function lotCode(value: string, field = "lot_code"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (!LOT_CODE_PATTERN.test(value)) {
    throw invalidArgument(field, `${field} must match ${LOT_CODE_PATTERN.source}`);
  }
  return value;
}

// Empty means the untracked lot.
export function optionalLotCode(value: string, field = "lot_code"): string | undefined {
  return value === "" ? undefined : lotCode(value, field);
}

export function binCode(value: string, field = "bin_code"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (!BIN_CODE_PATTERN.test(value)) {
    throw invalidArgument(field, `${field} must be 1-32 characters of A-Z, 0-9, '.', '_' or '-'`);
  }
  return value;
}

// Empty means "not put away in a bin" (e.g. a receipt left in the receiving area).
export function optionalBinCode(value: string, field = "bin_code"): string | undefined {
  return value === "" ? undefined : binCode(value, field);
}

// A calendar date YYYY-MM-DD that exists (2025-02-30 is refused).
export function date(value: string, field: string): string {
  const match = DATE_PATTERN.exec(value);
  if (match === null) throw invalidArgument(field, `${field} must be a date YYYY-MM-DD`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  if (parsed.getUTCFullYear() !== year || parsed.getUTCMonth() !== month - 1 || parsed.getUTCDate() !== day) {
    throw invalidArgument(field, `${field} ${value} is not a calendar date`);
  }
  return value;
}

export function optionalDate(value: string, field: string): string | undefined {
  return value === "" ? undefined : date(value, field);
}

// Empty means "any actor". An actor is a token subject or a worker name: no control characters.
export function optionalActor(value: string, field = "actor"): string | undefined {
  if (value === "") return undefined;
  if (value.length > MAX_ACTOR_LENGTH) {
    throw invalidArgument(field, `${field} must be at most ${MAX_ACTOR_LENGTH} characters`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw invalidArgument(field, `${field} must not contain control characters`);
  }
  return value;
}

export function reason(value: string, field = "reason", max = MAX_REASON_LENGTH): string {
  if (value.length > max) throw invalidArgument(field, `${field} must be at most ${max} characters`);
  return value;
}
