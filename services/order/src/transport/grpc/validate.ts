// Input validators for the order gRPC transport. Each checks one proto field, returns the decoded value
// and throws invalidArgument naming the field, so the caller sees which input was wrong and nothing is
// changed. The same patterns back the database CHECKs.
import { invalidArgument } from "@stockroom/errors";
import { PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import { OrderStatus } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { MAX_LINE_QUANTITY } from "../../domain/cart-rules.ts";
import { CURRENCY_PATTERN } from "../../domain/money.ts";
import type { OrderStatus as DomainOrderStatus } from "../../domain/order-status.ts";
import type { PaymentMethodType as DomainMethod } from "../../domain/payment-status.ts";

export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const WAREHOUSE_CODE_PATTERN = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COUNTRY_PATTERN = /^[A-Z]{2}$/;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
const MAX_TEXT = 200;

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

export function customerId(value: string, field = "customer_id"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (value.length > 128) throw invalidArgument(field, `${field} must be at most 128 characters`);
  return value;
}

export function optionalCurrency(value: string, field = "currency"): string {
  if (value === "") return "";
  if (!CURRENCY_PATTERN.test(value))
    throw invalidArgument(field, `${field} must be an ISO 4217 code (e.g. EUR)`);
  return value;
}

export function sku(value: string, field = "sku"): string {
  if (value === "") throw invalidArgument(field, `${field} is required`);
  if (!SKU_PATTERN.test(value)) throw invalidArgument(field, `${field} must match ${SKU_PATTERN.source}`);
  return value;
}

export function optionalWarehouseCode(value: string, field = "warehouse_code"): string | null {
  if (value === "") return null;
  if (!WAREHOUSE_CODE_PATTERN.test(value)) {
    throw invalidArgument(field, `${field} must match ${WAREHOUSE_CODE_PATTERN.source}`);
  }
  return value;
}

export function quantity(value: number, field = "quantity"): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_LINE_QUANTITY) {
    throw invalidArgument(field, `${field} must be between 1 and ${MAX_LINE_QUANTITY}, got ${value}`);
  }
  return value;
}

export function lineNumber(value: number, field = "line_number"): number {
  if (!Number.isInteger(value) || value < 1)
    throw invalidArgument(field, `${field} must be a positive integer`);
  return value;
}

export function expectedVersion(value: bigint, field = "expected_version"): number {
  if (value < 0n) throw invalidArgument(field, `${field} must not be negative`);
  return Number(value);
}

function text(value: string, field: string, required: boolean, max = MAX_TEXT): string {
  if (required && value.trim() === "") throw invalidArgument(field, `${field} is required`);
  if (value.length > max) throw invalidArgument(field, `${field} must be at most ${max} characters`);
  return value;
}

export interface DestinationInput {
  recipientName: string;
  line1: string;
  line2: string;
  postalCode: string;
  city: string;
  region: string;
  countryCode: string;
  phone: string;
  coordinates?: { latitude: number; longitude: number } | undefined;
}

export function shippingDestination(value: DestinationInput | undefined, field = "shipping_destination") {
  if (!value) throw invalidArgument(field, `${field} is required`);
  const destination: Record<string, unknown> = {
    recipientName: text(value.recipientName, `${field}.recipient_name`, true),
    line1: text(value.line1, `${field}.line1`, true),
    line2: text(value.line2, `${field}.line2`, false),
    postalCode: text(value.postalCode, `${field}.postal_code`, true, 20),
    city: text(value.city, `${field}.city`, true),
    region: text(value.region, `${field}.region`, false),
    countryCode: value.countryCode,
    phone: text(value.phone, `${field}.phone`, false, 40),
  };
  if (!COUNTRY_PATTERN.test(value.countryCode)) {
    throw invalidArgument(
      `${field}.country_code`,
      `${field}.country_code must be ISO 3166-1 alpha-2, upper case`,
    );
  }
  if (value.coordinates) {
    const { latitude, longitude } = value.coordinates;
    if (!(latitude >= -90 && latitude <= 90))
      throw invalidArgument(`${field}.coordinates.latitude`, "latitude must be within -90..90");
    if (!(longitude >= -180 && longitude <= 180)) {
      throw invalidArgument(`${field}.coordinates.longitude`, "longitude must be within -180..180");
    }
    destination.coordinates = { latitude, longitude };
  }
  return destination;
}

const METHODS: Partial<Record<PaymentMethodType, DomainMethod>> = {
  [PaymentMethodType.CARD]: "card",
  [PaymentMethodType.E_WALLET]: "e_wallet",
  [PaymentMethodType.BANK_TRANSFER]: "bank_transfer",
  [PaymentMethodType.CASH_ON_DELIVERY]: "cash_on_delivery",
};

export function paymentMethod(
  value: { type: PaymentMethodType; token: string } | undefined,
  field = "payment_method",
): { method: DomainMethod; token: string } {
  if (!value) throw invalidArgument(field, `${field} is required`);
  const method = METHODS[value.type];
  if (!method) throw invalidArgument(`${field}.type`, `${field}.type is required`);
  const manual = method === "bank_transfer" || method === "cash_on_delivery";
  if (manual && value.token !== "")
    throw invalidArgument(`${field}.token`, `${field}.token must be empty for ${method}`);
  if (!manual && value.token === "")
    throw invalidArgument(`${field}.token`, `${field}.token is required for ${method}`);
  if (value.token.length > 256)
    throw invalidArgument(`${field}.token`, `${field}.token must be at most 256 characters`);
  return { method, token: value.token };
}

const STATUSES: Partial<Record<OrderStatus, DomainOrderStatus>> = {
  [OrderStatus.PENDING]: "pending",
  [OrderStatus.AWAITING_PAYMENT]: "awaiting_payment",
  [OrderStatus.CONFIRMED]: "confirmed",
  [OrderStatus.COMPLETED]: "completed",
  [OrderStatus.CANCELLED]: "cancelled",
  [OrderStatus.REJECTED]: "rejected",
};

export function orderStatuses(values: readonly OrderStatus[], field = "statuses"): DomainOrderStatus[] {
  return values.map((v, i) => {
    const status = STATUSES[v];
    if (!status) throw invalidArgument(`${field}[${i}]`, `${field}[${i}] is not an order status`);
    return status;
  });
}

export function pageSize(value: number, field = "page_size"): number {
  if (value === 0) return 50;
  if (!Number.isInteger(value) || value < 1 || value > 100)
    throw invalidArgument(field, `${field} must be within 1..100`);
  return value;
}

// Page tokens are the last order id of the previous page (opaque to clients).
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

export function encodePageToken(orderId: string): string {
  return Buffer.from(orderId, "utf8").toString("base64url");
}
