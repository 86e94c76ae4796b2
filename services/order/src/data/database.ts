// Kysely table types of the order schema (migrations/order). Columns stay snake_case, as in SQL;
// repositories map rows to domain types.
import type { IdempotencyDatabase } from "@stockroom/idempotency";
import type { OutboxDatabase } from "@stockroom/outbox";
import type { ColumnType, Generated } from "kysely";

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;
// bigint columns come back from pg as strings; writes accept numbers, bigints or strings.
type BigIntColumn = ColumnType<string, number | bigint | string, number | bigint | string>;
type Json<T> = ColumnType<T, string, string>;

export interface CartsTable {
  cart_id: string;
  customer_id: string;
  status: Generated<"open" | "checking_out" | "checked_out" | "abandoned">;
  currency: string;
  next_line_number: Generated<number>;
  shipping_destination: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  payment_method: "card" | "e_wallet" | "bank_transfer" | "cash_on_delivery" | null;
  payment_token: Generated<string>;
  stock_hold_mode: Generated<"at_checkout" | "from_add_to_cart">;
  hold_reservation_id: string | null;
  hold_expires_at: Date | null;
  latest_order_id: string | null;
  version: ColumnType<string, number | undefined, number | string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  last_activity_at: UpdatedAt;
}

export interface CartLinesTable {
  cart_id: string;
  line_number: number;
  sku: string;
  warehouse_code: string | null;
  quantity: number;
  added_at: CreatedAt;
}

export interface OrdersTable {
  order_id: string;
  checkout_id: string;
  cart_id: string;
  customer_id: string;
  status: Generated<string>;
  payment_status: Generated<string>;
  fulfillment_status: Generated<string>;
  currency: string;
  subtotal_minor: BigIntColumn;
  total_minor: BigIntColumn;
  shipping_destination: Json<Record<string, unknown>>;
  payment_method: string;
  shortfall: ColumnType<unknown[], string | undefined, string>;
  cancelled_by: string | null;
  cancel_reason: string | null;
  version: ColumnType<string, number | undefined, number | string>;
  created_at: CreatedAt;
  confirmed_at: Date | null;
  cancelled_at: Date | null;
  updated_at: UpdatedAt;
  attention_reason: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface OrderLinesTable {
  order_id: string;
  line_number: number;
  sku: string;
  product_name: string;
  requested_warehouse_code: string | null;
  unit_price_minor: BigIntColumn;
  currency: string;
  line_total_minor: ColumnType<string, never, never>;
  ordered: number;
  allocated: Generated<number>;
  shipped: Generated<number>;
  delivered: Generated<number>;
  short_quantity: Generated<number>;
  returned: Generated<number>;
  cancelled: Generated<number>;
  refunded_units: Generated<number>;
  fulfillment_status: Generated<string>;
}

export interface OrderLineAllocationsTable {
  order_id: string;
  line_number: number;
  warehouse_code: string;
  lot_code: Generated<string>;
  quantity: number;
}

export interface PaymentsTable {
  payment_id: string;
  order_id: string;
  provider: "sandbox" | "manual";
  provider_payment_id: string | null;
  authorize_idempotency_key: string;
  method: string;
  status: Generated<string>;
  currency: string;
  amount_minor: BigIntColumn;
  authorized_minor: ColumnType<string, number | undefined, number | string>;
  captured_minor: ColumnType<string, number | undefined, number | string>;
  refunded_minor: ColumnType<string, number | undefined, number | string>;
  pay_by: Date | null;
  received_reference: string | null;
  decline_code: string | null;
  version: ColumnType<string, number | undefined, number | string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface RefundsTable {
  refund_id: string;
  payment_id: string;
  order_id: string;
  currency: string;
  amount_minor: BigIntColumn;
  reason: string;
  note: Generated<string>;
  status: Generated<string>;
  idempotency_key: string;
  provider_refund_id: string | null;
  lines: ColumnType<unknown[], string | undefined, string>;
  return_id: string | null;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  last_error: ColumnType<string | null, string | null | undefined, string | null>;
  source_key: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface OrderLineMovementsTable {
  order_id: string;
  line_number: number;
  kind: "shipped" | "delivered" | "short" | "returned" | "uncancelled";
  source_key: string;
  quantity: number;
  warehouse_code: string | null;
  occurred_at: Date;
  recorded_at: CreatedAt;
}

export interface OrderRemoteCallsTable {
  call_id: string;
  order_id: string;
  payment_id: string | null;
  kind: "capture" | "void" | "release_stock";
  source_key: string;
  amount_minor: ColumnType<string | null, number | null, number | null>;
  currency: string | null;
  status: Generated<"requested" | "unknown" | "succeeded" | "skipped" | "needs_attention">;
  idempotency_key: string;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  last_error: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface PaymentEventsTable {
  payment_event_id: Generated<string>;
  provider: "sandbox" | "manual";
  provider_event_id: string;
  provider_event_type: string;
  provider_payment_id: string;
  payment_id: string | null;
  payload: Json<unknown>;
  occurred_at: Date;
  received_at: CreatedAt;
  outcome: ColumnType<string, string | undefined, string>;
}

export interface CheckoutSagasTable {
  checkout_id: string;
  order_id: string;
  cart_id: string;
  status: ColumnType<string, string | undefined, string>;
  step: ColumnType<string, string | undefined, string>;
  step_outputs: ColumnType<Record<string, unknown>, string | undefined, string>;
  step_outcomes: ColumnType<Record<string, unknown>, string | undefined, string>;
  pending_undo: ColumnType<string[], string | undefined, string>;
  order_outcome: "reject" | "cancel" | null;
  refusal_reason: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  total_attempts: ColumnType<number, number | undefined, number>;
  reserve_attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Date | null;
  waiting_since: Date | null;
  attention_reason: string | null;
  last_error: string | null;
  abandon_requested: Generated<boolean>;
  version: ColumnType<string, number | undefined, number | string>;
  started_at: CreatedAt;
  updated_at: UpdatedAt;
  finished_at: Date | null;
}

export type CartHoldStatus = "reserving" | "held" | "releasing" | "released" | "refused" | "handed_over";

export interface CartHoldsTable {
  hold_id: string;
  cart_id: string;
  status: CartHoldStatus;
  lines: Json<{ sku: string; warehouseCode: string | null; quantity: number }[]>;
  payment_method: "card" | "e_wallet" | "bank_transfer" | "cash_on_delivery";
  ttl_ms: number;
  reservation_id: string | null;
  expires_at: Date | null;
  checkout_id: string | null;
  lease_until: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface EventProcessingLogTable {
  event_id: string;
  consumer: string;
  processed_at: CreatedAt;
}

export interface OrderDatabase extends OutboxDatabase, IdempotencyDatabase {
  carts: CartsTable;
  cart_lines: CartLinesTable;
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  order_line_allocations: OrderLineAllocationsTable;
  payments: PaymentsTable;
  refunds: RefundsTable;
  order_line_movements: OrderLineMovementsTable;
  order_remote_calls: OrderRemoteCallsTable;
  payment_events: PaymentEventsTable;
  checkout_sagas: CheckoutSagasTable;
  cart_holds: CartHoldsTable;
  event_processing_log: EventProcessingLogTable;
}
