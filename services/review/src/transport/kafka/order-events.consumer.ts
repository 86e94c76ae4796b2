// Consumes order.order.v1 into the verified-purchase projection. Envelopes are told apart by their
// event_type (OrderDelivered, OrderReturned; the topic's other types are ignored) and the payload is
// decoded as that contract message; each carries the order as it is after the change, whose delivered
// and returned quantities per line are what the projection keeps. Applied by applyOrderSnapshot inside
// the consumer's transaction (with its event_processing_log row and the aggregate-version guard); an
// envelope whose payload does not fit is a poison message and goes to the dead-letter topic.
import { anyUnpack, timestampDate } from "@bufbuild/protobuf/wkt";
import type { Kysely, Transaction } from "@stockroom/db";
import {
  type ConsumerLogger,
  createEventConsumer,
  type EventConsumer,
  ORDER_TOPIC,
  REVIEW_ORDER_EVENTS_GROUP,
} from "@stockroom/messaging";
import type { EventEnvelope } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { OrderDeliveredSchema, OrderReturnedSchema } from "@stockroom/proto/stockroom/order/v1/events_pb.js";
import type { Order } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import type { Kafka } from "kafkajs";
import type { Registry } from "prom-client";
import type { OrderPurchaseSnapshot, OrderSnapshotOutcome } from "../../app/apply-order-event.ts";
import type { PurchasedLine } from "../../domain/purchase.ts";

export class OrderEventInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OrderEventInvalidError";
  }
}

// The envelope's event_type: the short name the order service writes, or the full message name.
function typeNameOf(envelope: EventEnvelope): string {
  return envelope.eventType.slice(envelope.eventType.lastIndexOf(".") + 1);
}

function snapshotLines(
  order: Order,
  eventLines: readonly { lineNumber: number; quantity: number }[],
  kind: "delivered" | "returned",
  at: Date | null,
): PurchasedLine[] {
  const byLine = new Map(eventLines.map((l) => [l.lineNumber, l.quantity]));
  return order.lines.flatMap((line) => {
    // The snapshot's totals; the event's own units as a floor, should the snapshot lag behind them.
    const eventUnits = byLine.get(line.lineNumber) ?? 0;
    const returned = Math.max(line.quantities?.returned ?? 0, kind === "returned" ? eventUnits : 0);
    const delivered = Math.max(
      line.quantities?.delivered ?? 0,
      kind === "delivered" ? eventUnits : 0,
      returned,
    );
    if (delivered <= 0) return [];
    return [
      {
        orderId: order.orderId,
        lineNumber: line.lineNumber,
        customerId: order.customerId,
        sku: line.sku,
        deliveredQuantity: delivered,
        returnedQuantity: returned,
        deliveredAt: at,
      },
    ];
  });
}

export function decodeOrderEvent(envelope: EventEnvelope): OrderPurchaseSnapshot | undefined {
  const type = typeNameOf(envelope);
  if (type !== "OrderDelivered" && type !== "OrderReturned") return undefined;
  const delivered =
    type === "OrderDelivered" && envelope.payload
      ? anyUnpack(envelope.payload, OrderDeliveredSchema)
      : undefined;
  const returned =
    type === "OrderReturned" && envelope.payload
      ? anyUnpack(envelope.payload, OrderReturnedSchema)
      : undefined;
  const order = (delivered ?? returned)?.order;
  if (!order || order.orderId === "" || order.customerId === "" || envelope.aggregateVersion < 1n) {
    throw new OrderEventInvalidError(
      `event ${envelope.eventId}: ${type} without an order, its customer or a version`,
    );
  }
  const lines = delivered
    ? snapshotLines(
        order,
        delivered.lines,
        "delivered",
        delivered.deliveredAt ? timestampDate(delivered.deliveredAt) : null,
      )
    : snapshotLines(order, returned?.lines ?? [], "returned", null);
  return {
    eventId: envelope.eventId,
    orderId: order.orderId,
    customerId: order.customerId,
    orderVersion: Number(envelope.aggregateVersion),
    lines,
  };
}

export type ApplyOrderSnapshot<DB> = (
  trx: Transaction<DB>,
  snapshot: OrderPurchaseSnapshot,
) => Promise<OrderSnapshotOutcome>;

export async function applyOrderEvent<DB>(
  apply: ApplyOrderSnapshot<DB>,
  trx: Transaction<DB>,
  envelope: EventEnvelope,
): Promise<OrderSnapshotOutcome | "ignored"> {
  const snapshot = decodeOrderEvent(envelope);
  return snapshot ? apply(trx, snapshot) : "ignored";
}

export function createOrderEventsConsumer<DB>(options: {
  kafka: Kafka;
  db: Kysely<DB>;
  apply: ApplyOrderSnapshot<DB>;
  logger: ConsumerLogger;
  registry?: Registry;
  topic?: string;
  groupId?: string;
}): EventConsumer {
  return createEventConsumer<DB>({
    kafka: options.kafka,
    groupId: options.groupId ?? REVIEW_ORDER_EVENTS_GROUP,
    topics: [options.topic ?? ORDER_TOPIC],
    db: options.db,
    consumerName: REVIEW_ORDER_EVENTS_GROUP,
    handle: async (trx, event) => {
      await applyOrderEvent(options.apply, trx, event.envelope);
    },
    logger: options.logger,
    ...(options.registry && { registry: options.registry }),
  });
}
