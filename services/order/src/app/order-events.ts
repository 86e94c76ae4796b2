// The events an order emits to ORDER_TOPIC (order aggregate, keyed by order id), each carrying the
// order as it is after the change.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ORDER_TOPIC } from "@stockroom/messaging/topics";
import type { OutboxEvent } from "@stockroom/outbox";
import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderRefundedSchema,
  OrderShortfallDetectedSchema,
} from "@stockroom/proto/stockroom/order/v1/events_pb.js";
import { CancelledBy } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import type { RefundRecord } from "../data/refund.repo.ts";
import { type OrderAggregate, orderMessage } from "./order-message.ts";

export const ORDER_AGGREGATE = "order";

function envelope(
  aggregate: OrderAggregate,
  eventType: string,
): Omit<OutboxEvent, "payloadSchema" | "payload"> {
  return {
    topic: ORDER_TOPIC,
    messageKey: aggregate.order.orderId,
    aggregateType: ORDER_AGGREGATE,
    aggregateId: aggregate.order.orderId,
    aggregateVersion: aggregate.order.version,
    eventType,
    occurredAt: aggregate.order.updatedAt,
  };
}

export function orderConfirmed(aggregate: OrderAggregate): OutboxEvent {
  return {
    ...envelope(aggregate, "OrderConfirmed"),
    payloadSchema: OrderConfirmedSchema,
    payload: create(OrderConfirmedSchema, {
      order: orderMessage(aggregate),
      confirmedAt: timestampFromDate(aggregate.order.confirmedAt ?? aggregate.order.updatedAt),
    }),
  };
}

const BY: Record<string, CancelledBy> = {
  customer: CancelledBy.CUSTOMER,
  ops: CancelledBy.OPS,
  system: CancelledBy.SYSTEM,
};

export function orderCancelled(aggregate: OrderAggregate, paymentReversed: boolean): OutboxEvent {
  const { order } = aggregate;
  return {
    ...envelope(aggregate, "OrderCancelled"),
    payloadSchema: OrderCancelledSchema,
    payload: create(OrderCancelledSchema, {
      order: orderMessage(aggregate),
      cancelledBy: BY[order.cancelledBy ?? "system"] ?? CancelledBy.SYSTEM,
      reason: order.cancelReason ?? "",
      lines: order.lines.map((l) => ({ lineNumber: l.lineNumber, sku: l.sku, quantity: l.cancelled })),
      paymentReversed,
      cancelledAt: timestampFromDate(order.cancelledAt ?? order.updatedAt),
    }),
  };
}

// Emitted after OrderCancelled in the same transaction: its version follows.
export function orderShortfallDetected(aggregate: OrderAggregate): OutboxEvent {
  const message = orderMessage(aggregate);
  return {
    ...envelope(aggregate, "OrderShortfallDetected"),
    aggregateVersion: aggregate.order.version + 1,
    payloadSchema: OrderShortfallDetectedSchema,
    payload: create(OrderShortfallDetectedSchema, {
      order: message,
      lines: message.shortfall,
      orderCancelled: aggregate.order.status === "cancelled",
      detectedAt: timestampFromDate(aggregate.order.updatedAt),
    }),
  };
}

export function orderRefunded(aggregate: OrderAggregate, refund: RefundRecord): OutboxEvent {
  const m = (amountMinor: number) => ({ amountMinor: BigInt(amountMinor), currency: refund.currency });
  return {
    ...envelope(aggregate, "OrderRefunded"),
    payloadSchema: OrderRefundedSchema,
    payload: create(OrderRefundedSchema, {
      order: orderMessage(aggregate),
      refund: {
        refundId: refund.refundId,
        amount: m(refund.amountMinor),
        note: refund.note,
        providerRefundId: refund.providerRefundId ?? "",
        createdAt: timestampFromDate(refund.createdAt),
      },
      totalRefunded: m(aggregate.payment?.refundedMinor ?? refund.amountMinor),
    }),
  };
}
