// Helpers of the after-checkout tests: a confirmed card order through the real checkout, its
// reservation shipped in the real warehouse, and what the sandbox holds for its payment.
import { PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import { CONFIRM_RESERVATION, type ConfirmReservationOutput } from "../../src/domain/checkout-saga.ts";
import { CARDS, type OrderFixture, readyCart, settleOrder } from "./order-fixture.ts";

const WAREHOUSE_CONTEXT = { producer: "warehouse", actor: "fulfillment", principal: "fulfillment" };

export async function confirmedCardOrder(
  f: OrderFixture,
  lines: { sku: string; quantity: number }[],
  customerId?: string,
): Promise<{ orderId: string; reservationId: string; providerPaymentId: string }> {
  const cartId = await readyCart(
    f,
    lines,
    { type: PaymentMethodType.CARD, token: CARDS.approve },
    customerId,
  );
  const { orderId } = await f.client.startCheckout(
    { idempotencyKey: `s-${cartId}`, cartId },
    f.as("storefront"),
  );
  const settled = await settleOrder(f, orderId);
  if (settled.order.status !== "confirmed") throw new Error(`order ${orderId} is ${settled.order.status}`);
  const output = settled.saga?.stepOutputs[CONFIRM_RESERVATION] as ConfirmReservationOutput | undefined;
  return {
    orderId,
    reservationId: output?.reservationId ?? "",
    providerPaymentId: settled.payment?.providerPaymentId ?? "",
  };
}

// What the fulfillment service does before it announces a shipment: the warehouse ships the lines.
export async function shipInWarehouse(
  f: OrderFixture,
  reservationId: string,
  lineNumbers: number[],
  shipmentId: string,
): Promise<void> {
  await f.warehouse.useCases.ship(
    { idempotencyKey: `ship-${shipmentId}`, reservationId, lineNumbers, shipmentId },
    WAREHOUSE_CONTEXT,
  );
}

export async function sandboxIntent(f: OrderFixture, providerPaymentId: string) {
  const { rows } = await f.sandboxSchema.pool.query(
    `SELECT status, amount, amount_received::int AS received, amount_refunded::int AS refunded,
            (SELECT count(*)::int FROM refunds r WHERE r.payment_intent_id = i.id) AS refunds
       FROM payment_intents i WHERE id = $1`,
    [providerPaymentId],
  );
  return rows[0] as { status: string; received: number; refunded: number; refunds: number };
}

export async function orderEvents(f: OrderFixture, orderId: string): Promise<string[]> {
  const { rows } = await f.orderSchema.pool.query(
    "SELECT event_type FROM outbox WHERE aggregate_id = $1 ORDER BY aggregate_version",
    [orderId],
  );
  return rows.map((r) => r.event_type);
}

export async function remoteCalls(f: OrderFixture, orderId: string) {
  const { rows } = await f.orderSchema.pool.query(
    "SELECT kind, source_key, amount_minor::int AS amount, status, attempts FROM order_remote_calls WHERE order_id = $1 ORDER BY created_at",
    [orderId],
  );
  return rows as {
    kind: string;
    source_key: string;
    amount: number | null;
    status: string;
    attempts: number;
  }[];
}
