// The cancellation's record, in the transaction that marks the order cancelled: every unit that has not
// shipped is cancelled, except on lines the warehouse reported shipped when the cancel reached it (their
// FulfillmentShipped is on its way and will find them). For a confirmed order the money of the units
// cancelled is then settled: refunded when it is (or is about to be) captured; an authorization with
// something shipped is left for the capture, which takes only what shipped.
import type { Transaction } from "kysely";
import type { OrderDatabase } from "../data/database.ts";
import { lockOrder, writeLineQuantities } from "../data/movement.repo.ts";
import { findOrder } from "../data/order.repo.ts";
import { findPaymentOfOrder } from "../data/payment.repo.ts";
import type { SagaRecord } from "../data/saga.repo.ts";
import { CONFIRM_ORDER } from "../domain/checkout-saga.ts";
import { cancelUnshipped, lineFulfillmentStatus } from "../domain/line-fulfillment.ts";
import { recordDroppedUnits } from "./record-settlement.ts";
import { CANCEL_STOCK, type CancelStockOutput } from "./undo-checkout-step.ts";

export async function cancelUnshippedUnits(trx: Transaction<OrderDatabase>, saga: SagaRecord): Promise<void> {
  await lockOrder(trx, saga.orderId);
  const order = await findOrder(trx, saga.orderId);
  if (!order) return;
  const stock = saga.stepOutputs[CANCEL_STOCK] as CancelStockOutput | undefined;
  const units: { lineNumber: number; quantity: number }[] = [];
  const lines = order.lines.map((line) => {
    if (stock?.allShipped || stock?.shippedSkus.includes(line.sku)) return line;
    const result = cancelUnshipped(line);
    if (result.cancelled === 0) return line;
    units.push({ lineNumber: line.lineNumber, quantity: result.cancelled });
    return { ...line, ...result.quantities, fulfillmentStatus: lineFulfillmentStatus(result.quantities) };
  });
  for (const l of lines) await writeLineQuantities(trx, order.orderId, l.lineNumber, l, l.fulfillmentStatus);
  if (units.length === 0 || !saga.stepOutputs[CONFIRM_ORDER]) return;
  const payment = await findPaymentOfOrder(trx, order.orderId, true);
  await recordDroppedUnits(trx, { ...order, lines }, payment, {
    sourceKey: "cancel",
    units,
    reason: "cancellation",
  });
}
