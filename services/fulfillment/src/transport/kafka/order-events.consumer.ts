// Consumes order.order.v1: OrderConfirmed creates the order's fulfillments (verifying), OrderCancelled
// cancels what has not shipped; the topic's other event types are ignored. Each envelope is decoded
// here and applied by its use case inside the consumer's transaction (with its event_processing_log
// row and the aggregate-version guard); an OrderConfirmed without what a fulfillment needs is a poison
// message and goes to the dead-letter topic.
import { anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Kysely, Transaction } from "@stockroom/db";
import {
  type ConsumerLogger,
  createEventConsumer,
  type EventConsumer,
  FULFILLMENT_ORDER_EVENTS_GROUP,
  ORDER_TOPIC,
} from "@stockroom/messaging";
import type { EventEnvelope } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { OrderCancelledSchema, OrderConfirmedSchema } from "@stockroom/proto/stockroom/order/v1/events_pb.js";
import { OrderStatus } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import type { Kafka } from "kafkajs";
import type { Registry } from "prom-client";
import type { ConfirmedOrder } from "../../app/create-fulfillments.ts";

export class OrderEventInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OrderEventInvalidError";
  }
}

export type OrderEvent =
  | { kind: "confirmed"; order: ConfirmedOrder }
  | { kind: "cancelled"; orderId: string; reason: string }
  | { kind: "ignored" };

export function decodeOrderEvent(envelope: EventEnvelope): OrderEvent {
  const payload = envelope.payload;
  if (payload && anyIs(payload, OrderConfirmedSchema)) {
    const order = anyUnpack(payload, OrderConfirmedSchema)?.order;
    const reservationId = order?.checkout?.reservationId ?? "";
    if (!order || order.orderId === "" || reservationId === "" || order.lines.length === 0) {
      throw new OrderEventInvalidError(
        `event ${envelope.eventId}: OrderConfirmed without an order, lines or reservation`,
      );
    }
    return {
      kind: "confirmed",
      order: {
        orderId: order.orderId,
        customerId: order.customerId,
        currency: order.currency,
        reservationId,
        lines: order.lines.map((l) => ({
          orderLineNumber: l.lineNumber,
          sku: l.sku,
          unitPriceMinor: Number(l.unitPrice?.amountMinor ?? 0n),
          allocations: l.allocations.map((a) => ({
            warehouseCode: a.warehouseCode,
            lotCode: a.lotCode,
            quantity: a.quantity,
          })),
        })),
      },
    };
  }
  if (payload && anyIs(payload, OrderCancelledSchema)) {
    const event = anyUnpack(payload, OrderCancelledSchema);
    const order = event?.order;
    if (!event || !order || order.orderId === "") {
      throw new OrderEventInvalidError(`event ${envelope.eventId}: OrderCancelled without an order`);
    }
    // A cancel of some lines of a still-live order is not yet a fulfillment cancel (see the report).
    if (order.status !== OrderStatus.CANCELLED) return { kind: "ignored" };
    return { kind: "cancelled", orderId: order.orderId, reason: event.reason || "order cancelled" };
  }
  return { kind: "ignored" };
}

// The use cases the consumer feeds, over the database the consumer runs in (the service's schema).
export interface OrderEventUseCases<DB> {
  createFulfillments: (trx: Transaction<DB>, order: ConfirmedOrder) => Promise<unknown>;
  cancelFulfillments: (trx: Transaction<DB>, input: { orderId: string; reason: string }) => Promise<unknown>;
}

export async function applyOrderEvent<DB>(
  useCases: OrderEventUseCases<DB>,
  trx: Transaction<DB>,
  envelope: EventEnvelope,
): Promise<OrderEvent["kind"]> {
  const event = decodeOrderEvent(envelope);
  if (event.kind === "confirmed") await useCases.createFulfillments(trx, event.order);
  if (event.kind === "cancelled") await useCases.cancelFulfillments(trx, event);
  return event.kind;
}

export function createOrderEventsConsumer<DB>(options: {
  kafka: Kafka;
  db: Kysely<DB>;
  useCases: OrderEventUseCases<DB>;
  logger: ConsumerLogger;
  registry?: Registry;
  topic?: string;
  groupId?: string;
}): EventConsumer {
  return createEventConsumer<DB>({
    kafka: options.kafka,
    groupId: options.groupId ?? FULFILLMENT_ORDER_EVENTS_GROUP,
    topics: [options.topic ?? ORDER_TOPIC],
    db: options.db,
    consumerName: FULFILLMENT_ORDER_EVENTS_GROUP,
    handle: async (trx, event) => {
      await applyOrderEvent(options.useCases, trx, event.envelope);
    },
    logger: options.logger,
    ...(options.registry && { registry: options.registry }),
  });
}
