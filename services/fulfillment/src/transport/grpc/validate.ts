// Input validators for FulfillmentService. Each checks one proto field, returns the decoded value and
// throws invalidArgument naming the field (e.g. `results[2].unit_index`). The same patterns back the
// database CHECKs (migrations/fulfillment); these give the precise message first.
import { invalidArgument } from "@stockroom/errors";

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const WAREHOUSE_CODE_PATTERN = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_LINES = 1000;

export function idempotencyKey(value: string, field = "idempotency_key"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (value.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw invalidArgument(field, `${field} must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  return value;
}

export function uuid(value: string, field: string): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (!UUID_PATTERN.test(value)) throw invalidArgument(field, `${field} must be a UUID`);
  return value.toLowerCase();
}

export function optionalUuid(value: string, field: string): string | undefined {
  return value === "" ? undefined : uuid(value, field);
}

export function warehouseCode(value: string, field = "warehouse_code"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (!WAREHOUSE_CODE_PATTERN.test(value)) {
    throw invalidArgument(field, `${field} must match ${WAREHOUSE_CODE_PATTERN.source}`);
  }
  return value;
}

export function optionalWarehouseCode(value: string, field = "warehouse_code"): string | undefined {
  return value === "" ? undefined : warehouseCode(value, field);
}

export function positiveInt(value: number, field: string, max = 1_000_000): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw invalidArgument(field, `${field} must be an integer between 1 and ${max}, got ${value}`);
  }
  return value;
}

export function nonNegativeInt(value: number, field: string, max = 1_000_000): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw invalidArgument(field, `${field} must be an integer between 0 and ${max}, got ${value}`);
  }
  return value;
}

export function text(value: string, field: string, options: { required?: boolean; max: number }): string {
  const trimmed = value.trim();
  if (options.required && trimmed === "") throw invalidArgument(field, `${field} is required`);
  if (trimmed.length > options.max) {
    throw invalidArgument(field, `${field} must be at most ${options.max} characters`);
  }
  return trimmed;
}

export function scanned(value: string, field: string): string {
  if (value.trim() === "") throw invalidArgument(field, `${field} is required (the scanner's reading)`);
  if (value.length > 64) throw invalidArgument(field, `${field} must be at most 64 characters`);
  return value;
}

export function pageSize(value: number, field = "page_size"): number {
  if (value === 0) return DEFAULT_PAGE_SIZE;
  return positiveInt(value, field, MAX_PAGE_SIZE);
}

// Page tokens are the last id of the previous page (UUIDv7, so id order is creation order).
export function pageToken(value: string, field = "page_token"): string | undefined {
  if (value === "") return undefined;
  let decoded: string;
  try {
    decoded = Buffer.from(value, "base64url").toString("utf8");
  } catch {
    throw invalidArgument(field, `${field} is not a token this service issued`);
  }
  if (!UUID_PATTERN.test(decoded))
    throw invalidArgument(field, `${field} is not a token this service issued`);
  return decoded;
}

export function encodePageToken(afterId: string | undefined): string {
  return afterId === undefined ? "" : Buffer.from(afterId, "utf8").toString("base64url");
}

export function lineCount<T>(lines: readonly T[], field: string, max = MAX_LINES): readonly T[] {
  if (lines.length === 0) throw invalidArgument(field, `${field} needs at least one entry`);
  if (lines.length > max)
    throw invalidArgument(field, `${field} has ${lines.length} entries; at most ${max}`);
  return lines;
}

export function enumValue<P extends number, T>(map: ReadonlyMap<P, T>, value: P, field: string): T {
  const decoded = map.get(value);
  if (decoded === undefined) throw invalidArgument(field, `${field} ${value} is not a valid value`);
  return decoded;
}
