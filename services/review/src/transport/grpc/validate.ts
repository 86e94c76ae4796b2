// Input validators for the review gRPC transports: each checks one field and throws invalidArgument
// naming it, so a client sees which input was wrong. The database CHECKs back the same rules.
import { collectViolations, invalidArgument } from "@stockroom/errors";
import { ReviewStatus as ProtoStatus } from "@stockroom/proto/stockroom/review/v1/review_pb.js";
import { ReviewSort } from "@stockroom/proto/stockroom/review/v1/review_service_pb.js";
import type { PublishedSort, ReviewCursor, StatusCursor } from "../../app/read-reviews.ts";
import { statusFromProto } from "../../app/review-message.ts";
import {
  LANGUAGE_PATTERN,
  MAX_BODY_LENGTH,
  MAX_RATING,
  MAX_REASON_LENGTH,
  MAX_TITLE_LENGTH,
  MIN_RATING,
  type ReviewStatus,
  SKU_PATTERN,
} from "../../domain/review.ts";

export const MAX_BATCH_SKUS = 100;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ORDER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
// Control characters other than tab and line breaks have no place in a review.
function hasControlCharacters(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return true;
  }
  return false;
}

export function sku(value: string, field = "sku"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (!SKU_PATTERN.test(value)) throw invalidArgument(field, `${field} must match ${SKU_PATTERN.source}`);
  return value;
}

export function skuList(values: readonly string[], field = "skus"): string[] {
  if (values.length === 0) throw invalidArgument(field, `${field} must hold at least one sku`);
  if (values.length > MAX_BATCH_SKUS)
    throw invalidArgument(field, `${field} must hold at most ${MAX_BATCH_SKUS} skus`);
  return collectViolations((check) =>
    values.map((value, index) => check(() => sku(value, `${field}[${index}]`))),
  );
}

export function idempotencyKey(value: string, field = "idempotency_key"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (value.length > 128) throw invalidArgument(field, `${field} must be at most 128 characters`);
  return value;
}

export function reviewId(value: string, field = "review_id"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (!UUID_PATTERN.test(value))
    throw invalidArgument(field, `${field} must be a review id (a lower-case UUID)`);
  return value;
}

export function orderId(value: string, field = "order_id"): string | undefined {
  if (value === "") return undefined;
  if (!ORDER_ID_PATTERN.test(value))
    throw invalidArgument(field, `${field} must match ${ORDER_ID_PATTERN.source}`);
  return value;
}

export function rating(value: number, field = "rating"): number {
  if (!Number.isInteger(value) || value < MIN_RATING || value > MAX_RATING) {
    throw invalidArgument(field, `${field} must be a whole number from ${MIN_RATING} to ${MAX_RATING}`);
  }
  return value;
}

export function text(value: string, field: string, options: { required?: boolean; max: number }): string {
  if (options.required && value.trim() === "") throw invalidArgument(field, `${field} is required`);
  if (value.length > options.max)
    throw invalidArgument(field, `${field} must be at most ${options.max} characters`);
  if (hasControlCharacters(value)) throw invalidArgument(field, `${field} must not hold control characters`);
  return value;
}

export const title = (value: string) => text(value, "title", { max: MAX_TITLE_LENGTH });
export const body = (value: string) => text(value, "body", { required: true, max: MAX_BODY_LENGTH });
export const reason = (value: string, required: boolean) =>
  text(value, "reason", { required, max: MAX_REASON_LENGTH });
export const note = (value: string) => text(value, "note", { max: MAX_REASON_LENGTH });

export function language(value: string, field = "language"): string {
  if (value.length > 35 || !LANGUAGE_PATTERN.test(value)) {
    throw invalidArgument(field, `${field} must be a BCP 47 tag such as "en" or "pt-BR"`);
  }
  return value;
}

export function expectedVersion(value: bigint, field = "expected_version"): number | undefined {
  if (value === 0n) return undefined;
  if (value < 0n) throw invalidArgument(field, `${field} must not be negative`);
  return Number(value);
}

export function pageSize(value: number, field = "page_size"): number {
  if (value === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw invalidArgument(field, `${field} must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return value;
}

const SORTS = new Map<ReviewSort, PublishedSort>([
  [ReviewSort.UNSPECIFIED, "newest"],
  [ReviewSort.NEWEST, "newest"],
  [ReviewSort.RATING, "rating"],
  [ReviewSort.HELPFULNESS, "helpfulness"],
]);

export function sort(value: ReviewSort, field = "sort"): PublishedSort {
  const known = SORTS.get(value);
  if (!known) throw invalidArgument(field, `${field} ${value} is not a known value`);
  return known;
}

export function status(value: ProtoStatus, field = "status"): ReviewStatus {
  const known = value === ProtoStatus.UNSPECIFIED ? undefined : statusFromProto(value);
  if (!known) throw invalidArgument(field, `${field} must be PENDING, PUBLISHED, REJECTED or DELETED`);
  return known;
}

// Page tokens are opaque to clients: base64url of "v1:" + JSON of the last row's sort key, bound to the
// sku (and sort) they were issued for.
function encode(payload: unknown): string {
  return Buffer.from(`v1:${JSON.stringify(payload)}`, "utf8").toString("base64url");
}

function decode(value: string, field: string): Record<string, unknown> {
  const bad = () => invalidArgument(field, `${field} is not a token this service issued for this query`);
  const decoded = Buffer.from(value, "base64url").toString("utf8");
  if (!decoded.startsWith("v1:")) throw bad();
  try {
    const parsed: unknown = JSON.parse(decoded.slice(3));
    if (typeof parsed !== "object" || parsed === null) throw bad();
    return parsed as Record<string, unknown>;
  } catch {
    throw bad();
  }
}

export function encodeReviewCursor(scope: string, cursor: ReviewCursor): string {
  return encode({ ...cursor, publishedAt: cursor.publishedAt.getTime(), scope });
}

export function reviewCursor(
  value: string,
  scope: string,
  expectedSort: PublishedSort,
  field = "page_token",
) {
  if (value === "") return undefined;
  const raw = decode(value, field);
  const publishedAt = new Date(Number(raw.publishedAt));
  const id = String(raw.reviewId ?? "");
  if (
    raw.scope !== scope ||
    raw.sort !== expectedSort ||
    Number.isNaN(publishedAt.getTime()) ||
    !UUID_PATTERN.test(id)
  ) {
    throw invalidArgument(field, `${field} is not a token this service issued for this query`);
  }
  const number = (key: string) => {
    const n = Number(raw[key]);
    if (!Number.isInteger(n))
      throw invalidArgument(field, `${field} is not a token this service issued for this query`);
    return n;
  };
  const cursor: ReviewCursor =
    expectedSort === "rating"
      ? { sort: "rating", rating: number("rating"), publishedAt, reviewId: id }
      : expectedSort === "helpfulness"
        ? { sort: "helpfulness", helpfulVotes: number("helpfulVotes"), publishedAt, reviewId: id }
        : { sort: "newest", publishedAt, reviewId: id };
  return cursor;
}

export function encodeStatusCursor(scope: string, cursor: StatusCursor): string {
  return encode({ createdAt: cursor.createdAt.getTime(), reviewId: cursor.reviewId, scope });
}

export function statusCursor(value: string, scope: string, field = "page_token"): StatusCursor | undefined {
  if (value === "") return undefined;
  const raw = decode(value, field);
  const createdAt = new Date(Number(raw.createdAt));
  const id = String(raw.reviewId ?? "");
  if (raw.scope !== scope || Number.isNaN(createdAt.getTime()) || !UUID_PATTERN.test(id)) {
    throw invalidArgument(field, `${field} is not a token this service issued for this query`);
  }
  return { createdAt, reviewId: id };
}
