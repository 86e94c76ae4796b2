// The order.order.v1 events of the order's life after checkout: delivered, returned and short lines.
// Each carries the order as it is after the change (its version is the order's new version).
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ORDER_TOPIC } from "@stockroom/messaging/topics";
import type { OutboxEvent } from "@stockroom/outbox";
import {
  OrderDeliveredSchema,
  OrderReturnedSchema,
  OrderShortfallDetectedSchema,
} from "@stockroom/proto/stockroom/order/v1/events_pb.js";
import { ORDER_AGGREGATE } from "./order-events.ts";
import { type OrderAggregate, orderMessage } from "./order-message.ts";

export interface EventLine {
  lineNumber: number;
  sku: string;
  quantity: number;
  warehouseCode?: string;
}

function envelope(aggregate: OrderAggregate, eventType: string, at: Date) {
  return {
    topic: ORDER_TOPIC,
    messageKey: aggregate.order.orderId,
    aggregateType: ORDER_AGGREGATE,
    aggregateId: aggregate.order.orderId,
    aggregateVersion: aggregate.order.version,
    eventType,
    occurredAt: at,
  };
}

export function orderDelivered(
  aggregate: OrderAggregate,
  lines: readonly EventLine[],
  fullyDelivered: boolean,
  at: Date,
): OutboxEvent {
  return {
    ...envelope(aggregate, "OrderDelivered", at),
    payloadSchema: OrderDeliveredSchema,
    payload: create(OrderDeliveredSchema, {
      order: orderMessage(aggregate),
      lines: lines.map((l) => ({ lineNumber: l.lineNumber, sku: l.sku, quantity: l.quantity })),
      deliveredAt: timestampFromDate(at),
      fullyDelivered,
    }),
  };
}

export function orderReturned(
  aggregate: OrderAggregate,
  returnId: string,
  lines: readonly EventLine[],
  at: Date,
): OutboxEvent {
  return {
    ...envelope(aggregate, "OrderReturned", at),
    payloadSchema: OrderReturnedSchema,
    payload: create(OrderReturnedSchema, {
      order: orderMessage(aggregate),
      returnId,
      lines: lines.map((l) => ({ lineNumber: l.lineNumber, sku: l.sku, quantity: l.quantity })),
      returnedAt: timestampFromDate(at),
    }),
  };
}

// A fulfillment short: the lines' units the customer will not get (requested: units short now).
export function orderLinesShort(
  aggregate: OrderAggregate,
  lines: readonly EventLine[],
  orderCancelled: boolean,
  at: Date,
): OutboxEvent {
  return {
    ...envelope(aggregate, "OrderShortfallDetected", at),
    payloadSchema: OrderShortfallDetectedSchema,
    payload: create(OrderShortfallDetectedSchema, {
      order: orderMessage(aggregate),
      lines: lines.map((l) => ({
        lineNumber: l.lineNumber,
        sku: l.sku,
        warehouseCode: l.warehouseCode ?? "",
        requested: l.quantity,
        available: 0n,
      })),
      orderCancelled,
      detectedAt: timestampFromDate(at),
    }),
  };
}
