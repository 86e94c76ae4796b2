// Order events as the order service's contract defines them (proto/stockroom/order/v1/events.proto):
// OrderDelivered / OrderReturned envelopes carrying the order snapshot after the change, encoded the way
// every producer's outbox encodes them (toOutboxRow), for tests to put on a real topic.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type OutboxEvent, toOutboxRow } from "@stockroom/outbox";
import {
  OrderConfirmedSchema,
  OrderDeliveredSchema,
  OrderReturnedSchema,
} from "@stockroom/proto/stockroom/order/v1/events_pb.js";
import { type Order, OrderSchema, OrderStatus } from "@stockroom/proto/stockroom/order/v1/order_pb.js";

export interface LineState {
  lineNumber: number;
  sku: string;
  ordered?: number;
  delivered?: number;
  returned?: number;
}

export function orderSnapshot(
  orderId: string,
  customerId: string,
  lines: LineState[],
  version: number,
): Order {
  return create(OrderSchema, {
    orderId,
    customerId,
    status: OrderStatus.CONFIRMED,
    currency: "EUR",
    version: BigInt(version),
    lines: lines.map((l) => ({
      lineNumber: l.lineNumber,
      sku: l.sku,
      productName: l.sku,
      unitPrice: { amountMinor: 1000n, currency: "EUR" },
      quantities: {
        ordered: l.ordered ?? l.delivered ?? 1,
        allocated: l.ordered ?? l.delivered ?? 1,
        shipped: l.delivered ?? 0,
        delivered: l.delivered ?? 0,
        returned: l.returned ?? 0,
      },
    })),
  });
}

function envelopeOf(
  topic: string,
  order: Order,
  version: number,
  event: Omit<OutboxEvent, "topic" | "messageKey" | "aggregateType" | "aggregateId" | "aggregateVersion">,
) {
  return toOutboxRow(
    { producer: "order" },
    {
      topic,
      messageKey: order.orderId,
      aggregateType: "order",
      aggregateId: order.orderId,
      aggregateVersion: version,
      ...event,
    },
  ).envelope;
}

export function orderConfirmed(topic: string, order: Order, version: number): Uint8Array {
  return envelopeOf(topic, order, version, {
    eventType: "OrderConfirmed",
    payloadSchema: OrderConfirmedSchema,
    payload: create(OrderConfirmedSchema, { order, confirmedAt: timestampFromDate(new Date()) }),
  });
}

export function orderDelivered(
  topic: string,
  order: Order,
  version: number,
  lines: { lineNumber: number; sku: string; quantity: number }[],
  deliveredAt = new Date(),
): Uint8Array {
  return envelopeOf(topic, order, version, {
    eventType: "OrderDelivered",
    payloadSchema: OrderDeliveredSchema,
    payload: create(OrderDeliveredSchema, {
      order,
      lines,
      deliveredAt: timestampFromDate(deliveredAt),
      fullyDelivered: true,
    }),
  });
}

export function orderReturned(
  topic: string,
  order: Order,
  version: number,
  lines: { lineNumber: number; sku: string; quantity: number }[],
): Uint8Array {
  return envelopeOf(topic, order, version, {
    eventType: "OrderReturned",
    payloadSchema: OrderReturnedSchema,
    payload: create(OrderReturnedSchema, {
      order,
      returnId: `ret-${order.orderId}-${version}`,
      lines,
      returnedAt: timestampFromDate(new Date()),
    }),
  });
}
