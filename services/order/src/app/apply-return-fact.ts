// Applies one return fact (from fulfillment.return.v1) inside the consumer's transaction. ReturnReceived
// moves the lines' returned quantities (OrderReturned); ReturnRefundRequested records the refund the
// fulfillment computed, once per return (refunds_one_per_return, key <payment>:refund:return:<id>),
// sent by the refund worker after commit. A return of units whose delivery was not seen yet (the two
// topics are consumed apart) is retried until the delivery arrives.
import { ErrorReason, failedPrecondition } from "@stockroom/errors";
import { appendToOutbox } from "@stockroom/outbox";
import type { Transaction } from "kysely";
import { v7 as uuidv7 } from "uuid";
import type { OrderDatabase } from "../data/database.ts";
import {
  lockOrder,
  recordMovement,
  setOrderFulfillment,
  writeLineQuantities,
} from "../data/movement.repo.ts";
import { findOrder } from "../data/order.repo.ts";
import { findPaymentOfOrder } from "../data/payment.repo.ts";
import { insertRefund } from "../data/refund.repo.ts";
import { lineFulfillmentStatus, orderFulfillmentStatus, returnUnits } from "../domain/line-fulfillment.ts";
import { type FactLine, unknownOrder } from "./apply-fulfillment-fact.ts";
import { loadOrder } from "./get-order.ts";
import { orderReturned } from "./order-life-events.ts";

export type ReturnFact =
  | { kind: "return_received"; orderId: string; returnId: string; lines: FactLine[]; at: Date }
  | {
      kind: "return_refund_requested";
      orderId: string;
      returnId: string;
      lines: (FactLine & { amountMinor: number })[];
      amountMinor: number;
      currency: string;
      reason: string;
    };

type Trx = Transaction<OrderDatabase>;

// Units came back whose delivery this service has not seen yet: worth trying again shortly (the
// consumer of the deliveries catches up), not a poison message.
export class DeliveryNotSeenYet extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeliveryNotSeenYet";
  }
}

async function received(trx: Trx, fact: Extract<ReturnFact, { kind: "return_received" }>) {
  const order = await findOrder(trx, fact.orderId);
  if (!order) throw unknownOrder(fact.orderId);
  const sourceKey = `return:${fact.returnId}`;
  const lines = [...order.lines];
  const moved: FactLine[] = [];
  for (const f of fact.lines) {
    const i = lines.findIndex((l) => l.lineNumber === f.lineNumber && l.sku === f.sku);
    const line = lines[i];
    if (!line) {
      throw failedPrecondition(
        ErrorReason.INVARIANT_VIOLATION,
        `order ${order.orderId} has no line ${f.lineNumber} of sku ${f.sku}`,
      );
    }
    if (line.delivered - line.returned < f.quantity) {
      throw new DeliveryNotSeenYet(
        `return ${fact.returnId}: line ${f.lineNumber} has ${line.delivered - line.returned} delivered units not returned, ` +
          `${f.quantity} came back; waiting for the delivery`,
      );
    }
    if (
      !(await recordMovement(trx, {
        orderId: order.orderId,
        lineNumber: f.lineNumber,
        kind: "returned",
        sourceKey,
        quantity: f.quantity,
        warehouseCode: null,
        occurredAt: fact.at,
      }))
    )
      continue;
    const q = returnUnits(line, f.quantity);
    lines[i] = { ...line, ...q, fulfillmentStatus: lineFulfillmentStatus(q) };
    await writeLineQuantities(trx, order.orderId, f.lineNumber, q, lineFulfillmentStatus(q));
    moved.push(f);
  }
  if (moved.length === 0) return;
  await setOrderFulfillment(trx, order.orderId, { fulfillmentStatus: orderFulfillmentStatus(lines) });
  const aggregate = await loadOrder({ db: trx }, order.orderId);
  if (aggregate)
    await appendToOutbox(trx, { producer: "order" }, [
      orderReturned(aggregate, fact.returnId, moved, fact.at),
    ]);
}

async function refundRequested(trx: Trx, fact: Extract<ReturnFact, { kind: "return_refund_requested" }>) {
  const order = await findOrder(trx, fact.orderId);
  if (!order) throw unknownOrder(fact.orderId);
  const payment = await findPaymentOfOrder(trx, order.orderId, true);
  if (!payment)
    throw failedPrecondition(ErrorReason.PAYMENT_NOT_FOUND, `order ${order.orderId} has no payment`);
  if (fact.currency !== payment.currency || fact.amountMinor <= 0) {
    throw failedPrecondition(
      ErrorReason.VALIDATION_FAILED,
      `return ${fact.returnId} asks ${fact.amountMinor} ${fact.currency}; the order pays in ${payment.currency}`,
    );
  }
  const value = fact.lines.reduce((n, l) => {
    const line = order.lines.find((o) => o.lineNumber === l.lineNumber);
    return n + (line ? line.unitPriceMinor * l.quantity : 0);
  }, 0);
  if (fact.amountMinor > value) {
    throw failedPrecondition(
      ErrorReason.REFUND_EXCEEDS_CAPTURED,
      `return ${fact.returnId} asks ${fact.amountMinor}, above the ${value} its lines were bought for`,
    );
  }
  // Recorded once per return; the refund worker sends it (and retries it) under its own key.
  await insertRefund(trx, {
    refundId: uuidv7(),
    paymentId: payment.paymentId,
    orderId: order.orderId,
    currency: payment.currency,
    amountMinor: fact.amountMinor,
    reason: "return",
    note: fact.reason.slice(0, 500),
    idempotencyKey: `${payment.paymentId}:refund:return:${fact.returnId}`,
    lines: fact.lines.map((l) => ({ lineNumber: l.lineNumber, quantity: l.quantity })),
    returnId: fact.returnId,
    sourceKey: `return:${fact.returnId}`,
  });
}

export function applyReturnFactUseCase() {
  return async function applyReturnFact(trx: Trx, fact: ReturnFact): Promise<void> {
    if (!(await lockOrder(trx, fact.orderId))) throw unknownOrder(fact.orderId);
    if (fact.kind === "return_received") return received(trx, fact);
    return refundRequested(trx, fact);
  };
}
