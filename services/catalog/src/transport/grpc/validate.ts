// Input validators for the catalog gRPC transports: each checks one field and throws invalidArgument
// naming it, so a client sees which input was wrong. The database CHECKs back the same rules.
import type { JsonObject } from "@bufbuild/protobuf";
import { collectViolations, invalidArgument } from "@stockroom/errors";
import type { Money } from "@stockroom/proto/stockroom/catalog/v1/product_pb.js";
import { ProductStatus as ProtoStatus } from "@stockroom/proto/stockroom/catalog/v1/product_pb.js";
import { statusFromProto } from "../../app/product-message.ts";
import { CURRENCY_PATTERN, type Price, type ProductStatus, SKU_PATTERN } from "../../domain/product.ts";

export const MAX_BATCH_SKUS = 100;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;
const CATEGORY_PATTERN = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/;

export function sku(value: string, field = "sku"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (!SKU_PATTERN.test(value)) throw invalidArgument(field, `${field} must match ${SKU_PATTERN.source}`);
  return value;
}

export function skuList(
  values: readonly string[],
  field = "skus",
  options = { allowEmpty: false },
): string[] {
  if (values.length === 0 && !options.allowEmpty)
    throw invalidArgument(field, `${field} must hold at least one sku`);
  if (values.length > MAX_BATCH_SKUS)
    throw invalidArgument(field, `${field} must hold at most ${MAX_BATCH_SKUS} skus`);
  // Every bad sku of the list is named, not only the first.
  return collectViolations((check) =>
    values.map((value, index) => check(() => sku(value, `${field}[${index}]`))),
  );
}

export function idempotencyKey(value: string, field = "idempotency_key"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (value.length > 128) throw invalidArgument(field, `${field} must be at most 128 characters`);
  return value;
}

export function text(value: string, field: string, options: { required?: boolean; max: number }): string {
  if (options.required && value.trim() === "") throw invalidArgument(field, `${field} is required`);
  if (value.length > options.max)
    throw invalidArgument(field, `${field} must be at most ${options.max} characters`);
  return value;
}

export function categoryPath(value: string, field = "category_path"): string {
  if (value !== "" && !CATEGORY_PATTERN.test(value)) {
    throw invalidArgument(
      field,
      `${field} must be lower-case segments separated by '/' (${CATEGORY_PATTERN.source})`,
    );
  }
  return value;
}

export function price(value: Money | undefined, field = "price"): Price {
  if (!value) throw invalidArgument(field, `${field} is required`);
  if (value.amountMinor < 0n)
    throw invalidArgument(`${field}.amount_minor`, `${field}.amount_minor must not be negative`);
  if (!CURRENCY_PATTERN.test(value.currency)) {
    throw invalidArgument(`${field}.currency`, `${field}.currency must be an upper-case ISO 4217 code`);
  }
  return { amountMinor: value.amountMinor, currency: value.currency };
}

export function attributes(value: JsonObject | undefined, field = "attributes"): Record<string, unknown> {
  if (!value) return {};
  if (JSON.stringify(value).length > 16_384)
    throw invalidArgument(field, `${field} must be at most 16 KiB as JSON`);
  return value as Record<string, unknown>;
}

// DRAFT or ACTIVE (archiving has its own RPC); unspecified means `fallback`.
export function writableStatus<F extends "draft" | "active" | undefined>(
  value: ProtoStatus,
  fallback: F,
  field = "status",
): Exclude<ProductStatus, "archived"> | F {
  if (value === ProtoStatus.UNSPECIFIED) return fallback;
  const status = statusFromProto(value);
  if (status === "draft" || status === "active") return status;
  throw invalidArgument(field, `${field} must be DRAFT or ACTIVE`);
}

export function listStatus(value: ProtoStatus, field = "status"): ProductStatus {
  if (value === ProtoStatus.UNSPECIFIED) return "active";
  const status = statusFromProto(value);
  if (!status) throw invalidArgument(field, `${field} ${value} is not a known value`);
  return status;
}

export function pageSize(value: number, field = "page_size"): number {
  if (value === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw invalidArgument(field, `${field} must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return value;
}

export function expectedVersion(value: bigint, field = "expected_version"): number | undefined {
  if (value === 0n) return undefined;
  if (value < 0n) throw invalidArgument(field, `${field} must not be negative`);
  return Number(value);
}

// Page tokens are opaque to clients: "v1:" + the last sku of the previous page, base64url.
export function encodePageToken(lastSku: string): string {
  return Buffer.from(`v1:${lastSku}`, "utf8").toString("base64url");
}

export function pageToken(value: string, field = "page_token"): string | undefined {
  if (value === "") return undefined;
  const decoded = Buffer.from(value, "base64url").toString("utf8");
  const after = decoded.startsWith("v1:") ? decoded.slice(3) : "";
  if (!SKU_PATTERN.test(after)) throw invalidArgument(field, `${field} is not a token this service issued`);
  return after;
}

// Grams per unit as shipped: unset stays unset; otherwise 1..1,000,000 (the products.weight_grams CHECK).
export function optionalWeightGrams(value: number | undefined, field = "weight_grams"): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > 1_000_000) {
    throw invalidArgument(field, `${field} must be between 1 and 1000000 grams, got ${value}`);
  }
  return value;
}
